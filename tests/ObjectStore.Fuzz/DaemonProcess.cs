using System.Diagnostics;
using System.Net.Sockets;

namespace Fluid.Aspire.ObjectStore.Fuzz;

/// <summary>
/// A daemon of the fuzz run's own: the built <c>fluid-objectstore.dll</c> of this repository and configuration,
/// started with <c>dotnet</c> on a socket in a temporary directory, killed and cleaned up on dispose.
/// </summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    private const int OutputLinesKept = 200;

    private readonly Process _process;
    private readonly string _directory;
    private readonly Queue<string> _output = new();

    private DaemonProcess(Process process, string directory)
    {
        _process = process;
        _directory = directory;
    }

    public string SocketPath => Path.Combine(_directory, "os.sock");

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The last lines the daemon wrote: what it said before it died, if it did.</summary>
    public string OutputTail
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>The daemon of the same configuration as this program (Release or Debug), built beside it.</summary>
    public static string DefaultAssembly()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Debug"
            : "Release";
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Fluid.Aspire.sln")))
            {
                return Path.Combine(directory.FullName, "src", "ObjectStore", "bin", configuration, "net10.0", "fluid-objectstore.dll");
            }
        }

        throw new InvalidOperationException(
            $"Fluid.Aspire.sln is not above {AppContext.BaseDirectory}; run the fuzzer from its build output in the repository, or pass --socket.");
    }

    public static async Task<DaemonProcess> StartAsync(string assembly, string size, CancellationToken cancellationToken)
    {
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException(
                $"The daemon is not built: {assembly} does not exist. Build it first (dotnet build Fluid.Aspire.sln -c Release), or pass --socket.");
        }

        var directory = Directory.CreateTempSubdirectory("fluid-fuzz-").FullName;
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { assembly, "start", "--size", size, "--socket", Path.Combine(directory, "os.sock"), "--node", "fuzz" })
        {
            start.ArgumentList.Add(argument);
        }

        // Each refused frame is a warning; the default level would print one per case.
        start.Environment["Logging__LogLevel__Default"] = "Error";
        var daemon = new DaemonProcess(new Process { StartInfo = start }, directory);
        daemon._process.OutputDataReceived += (_, e) => daemon.Keep(e.Data);
        daemon._process.ErrorDataReceived += (_, e) => daemon.Keep(e.Data);
        daemon._process.Start();
        daemon._process.BeginOutputReadLine();
        daemon._process.BeginErrorReadLine();
        try
        {
            await daemon.WaitUntilServingAsync(cancellationToken);
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The dotnet host: this one when the fuzzer runs under dotnet, else the one on PATH.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? self
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private async Task WaitUntilServingAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The daemon exited with code {_process.ExitCode}:{Environment.NewLine}{OutputTail}");
            }

            if (File.Exists(SocketPath))
            {
                using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await probe.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken);
                    return;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    // Bound but not yet listening.
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The daemon did not serve {SocketPath} within 60 s:{Environment.NewLine}{OutputTail}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > OutputLinesKept)
            {
                _output.Dequeue();
            }
        }
    }
}
