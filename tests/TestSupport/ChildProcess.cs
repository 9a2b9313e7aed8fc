using System.Diagnostics;
using System.Text;

namespace Fluid.Aspire.TestSupport;

/// <summary>
/// A real child process for a test: its output collected (for assertions and failure messages), and its whole
/// process tree killed on dispose.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan DrainPatience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan KillPatience = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a .NET program of the repository (its built dll) with arguments.</summary>
    public static ChildProcess StartDotnet(string assemblyPath, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null) =>
        Start(RepositoryPaths.DotnetHost, [assemblyPath, .. arguments], environment);

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Exited += (_, _) => child._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// The last <paramref name="lines"/> lines of <paramref name="output"/>: where a long run went wrong, and what a
    /// failure report keeps when it is cut short.
    /// </summary>
    public static string Tail(string output, int lines)
    {
        var all = output.TrimEnd('\n').Split('\n');
        return all.Length <= lines ? string.Join('\n', all) : $"[{all.Length - lines} earlier lines]\n{string.Join('\n', all[^lines..])}";
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; fails with the output if the process exits first.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The process exited with code {_process.ExitCode} before printing '{text}'; its last lines:\n{Tail(Output, 40)}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The process did not print '{text}' within {timeout.TotalSeconds} s; its last lines:\n{Tail(Output, 40)}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Waits for the process to end and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The process did not exit within {timeout.TotalSeconds} s:\n{Output}");
        }

        // Exited fires before the last output lines are read; WaitForExitAsync drains them. Bounded, because a
        // descendant that outlives the process (a daemon, a step) keeps the pipes open and the drain would never end.
        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(DrainPatience, cancellationToken);
        }
        catch (TimeoutException)
        {
            Append($"[test] output after exit not drained within {DrainPatience.TotalSeconds} s: a descendant still holds the pipes");
        }

        return _process.ExitCode;
    }

    /// <summary>
    /// SIGKILL to the process alone: no chance to clean up, as when it crashes or is OOM-killed. Its children live on,
    /// as they would then (a controller's steps, for example). Returns once it has exited: a process with many threads
    /// takes a while to, all the more on a loaded machine, and until then its children are still its own, which a
    /// tree kill (<see cref="DisposeAsync"/>, e.g. when a test starts its replacement) would take with it.
    /// </summary>
    public void Kill()
    {
        Kill(entireProcessTree: false);
        if (!_process.WaitForExit(KillPatience))
        {
            throw new TimeoutException($"The process did not exit within {KillPatience.TotalSeconds} s of SIGKILL:\n{Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(DrainPatience);
        }
        catch (InvalidOperationException)
        {
            // Never started, or already reaped.
        }
        catch (TimeoutException)
        {
            // Killed, but a descendant that escaped the tree holds its pipes: the test must not hang on it.
        }

        _process.Dispose();
    }

    private void Kill(bool entireProcessTree)
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
