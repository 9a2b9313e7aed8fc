using System.Diagnostics;
using System.Globalization;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary><c>./run.sh</c> interrupted, wherever it is, stops everything it started: the AppHost, DCP, etcd, the services.</summary>
public sealed class RunShSignalTests
{
    /// <summary>
    /// Ctrl+C as a terminal sends it, to the whole foreground process group, while the stack starts; SIGTERM as a
    /// service manager sends it, to the script alone, while the sample runs. In a session of its own (setsid), as in a
    /// terminal of its own.
    /// </summary>
    [Theory]
    [InlineData("INT", true, "· Starting the stack (", 130)]
    [InlineData("TERM", false, "running linear-regression-step", 143)]
    public async Task Interrupted_it_stops_the_stack_within_15_s_and_leaves_no_process_of_it(string signal, bool group, string when, int exitCode)
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var state = new TemporaryDirectory();
        await using var run = ChildProcess.Start("setsid", [Path.Combine(RepositoryPaths.Root, "run.sh"), "--state-dir", state.Path, "--rows", "2000000"]);
        await run.WaitForOutputAsync(when, TimeSpan.FromMinutes(4), cancellation);

        var target = run.Id.ToString(CultureInfo.InvariantCulture);
        using (var kill = Process.Start("kill", ["-s", signal, "--", group ? "-" + target : target]))
        {
            await kill.WaitForExitAsync(cancellation);
        }

        var stopping = Stopwatch.StartNew();
        var code = await run.WaitForExitAsync(TimeSpan.FromSeconds(60), cancellation);
        var took = stopping.Elapsed;

        Assert.True(code == exitCode, run.Output);
        Assert.True(took < TimeSpan.FromSeconds(15), $"It took {took.TotalSeconds:0.0} s to stop.\n{run.Output}");
        var left = ProcessesMentioning(state.Path);
        Assert.True(left.Count == 0, $"Left running:\n{string.Join('\n', left)}\n{run.Output}");
    }

    /// <summary>Live processes whose command line or environment names <paramref name="path"/>: every part of a stack on that state directory does.</summary>
    private static List<string> ProcessesMentioning(string path)
    {
        var found = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(path, StringComparison.Ordinal) || File.ReadAllText(Path.Combine(directory, "environ")).Contains(path, StringComparison.Ordinal))
                {
                    found.Add($"{Path.GetFileName(directory)}: {commandLine}");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        return found;
    }
}
