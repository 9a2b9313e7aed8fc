using System.Globalization;
using Fluid.Aspire.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Execution.Tests;

/// <summary>
/// A logs directory of a test's own, executors over it, and scripts to run as steps. Whatever a test leaves
/// running is stopped on dispose.
/// </summary>
internal sealed class StepHarness : IAsyncDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly List<LocalProcessExecutor> _executors = [];
    private readonly List<StepExecution> _executions = [];

    public StepHarness()
    {
        Options = new LocalExecutorOptions
        {
            LogsDirectory = Path.Combine(_directory.Path, "logs"),
            TerminationGracePeriod = TimeSpan.FromMilliseconds(300),
            ReattachPollInterval = TimeSpan.FromMilliseconds(50),
        };
    }

    public static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public LocalExecutorOptions Options { get; }

    public string Root => _directory.Path;

    /// <summary>A new executor over the harness's logs directory, as a controller process would have.</summary>
    public LocalProcessExecutor NewExecutor()
    {
        var executor = new LocalProcessExecutor(Microsoft.Extensions.Options.Options.Create(Options), NullLogger<LocalProcessExecutor>.Instance);
        _executors.Add(executor);
        return executor;
    }

    /// <summary>Writes an executable bash script and returns its path.</summary>
    public string Script(string name, string body)
    {
        var path = Path.Combine(_directory.Path, name);
        File.WriteAllText(path, "#!/bin/bash\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public static StepLaunch Launch(string step, string command, params string[] arguments) => new()
    {
        Namespace = "tests",
        StepName = step,
        RunId = "run-1",
        NodeName = "node-0",
        Command = command,
        Arguments = arguments,
    };

    public async Task<StepExecution> StartAsync(LocalProcessExecutor executor, StepLaunch launch)
    {
        var execution = await executor.StartAsync(launch, Cancellation);
        _executions.Add(execution);
        return execution;
    }

    public Task<StepExecution> StartAsync(StepLaunch launch) => StartAsync(_executors.FirstOrDefault() ?? NewExecutor(), launch);

    /// <summary>
    /// Waits for the step's end, failing the test if it hangs: the bound is far beyond what a test step takes alone,
    /// because the suite's other projects load the machine.
    /// </summary>
    public static async Task<StepOutcome> EndOf(StepExecution execution, double seconds = 60) =>
        await execution.Completion.WaitAsync(TimeSpan.FromSeconds(seconds), Cancellation);

    /// <summary>The step's output lines in the log ("out text" / "err text"), without timestamps.</summary>
    public static string[] OutputLines(string logPath) =>
        [.. File.ReadAllLines(logPath).Select(line => line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]).Where(line => line.StartsWith("out ", StringComparison.Ordinal) || line.StartsWith("err ", StringComparison.Ordinal))];

    public static Task WaitForLogAsync(string logPath, string text) => Eventually.ReturnsAsync(
        () => File.Exists(logPath) ? File.ReadAllText(logPath) : "",
        log => log.Contains(text, StringComparison.Ordinal),
        Eventually.Patience,
        $"'{text}' in {logPath}",
        Cancellation);

    public async ValueTask DisposeAsync()
    {
        foreach (var execution in _executions)
        {
            if (!execution.Completion.IsCompleted && execution.ProcessId is { } pid)
            {
                // A failed test may leave a step running: its group goes with the test.
                _ = Proc.Kill(-pid, 9);
            }
        }

        foreach (var executor in _executors)
        {
            await executor.DisposeAsync();
        }

        _directory.Dispose();
    }
}

/// <summary>What /proc says, read independently of the executor's own code.</summary>
internal static class Proc
{
    /// <summary>(pid, state, ppid, pgid, sid) of every process.</summary>
    public static IEnumerable<(int Pid, char State, int Parent, int Group, int Session)> All()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            yield return (pid, fields[0][0], Parse(fields[1]), Parse(fields[2]), Parse(fields[3]));
        }
    }

    /// <summary>Live processes (not zombies) in the process group or the session.</summary>
    public static int[] Survivors(int processGroup, int session) =>
        [.. All().Where(p => p.State != 'Z' && (p.Group == processGroup || p.Session == session)).Select(p => p.Pid)];

    public static int ParentOf(int pid) => All().First(p => p.Pid == pid).Parent;

    public static bool Kill(int pid, int signal) => Native.Kill(pid, signal) == 0;

    private static int Parse(string text) => int.Parse(text, CultureInfo.InvariantCulture);
}

internal static partial class Native
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    public static partial int Kill(int pid, int signal);
}
