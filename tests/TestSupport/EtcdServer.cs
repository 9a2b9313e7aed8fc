using System.Diagnostics;
using System.Text;
using Fluid.Aspire.Cluster.Etcd;
using Xunit;

namespace Fluid.Aspire.TestSupport;

/// <summary>
/// A real etcd server for one test: its own data directory and free ports on 127.0.0.1, killed and deleted on
/// dispose. Tests that need it are skipped, with the reason shown, when etcd is not installed.
/// </summary>
public sealed class EtcdServer : IAsyncDisposable
{
    private readonly string _binary;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private EtcdServer(string binary, string dataDirectory, int clientPort, int peerPort)
    {
        _binary = binary;
        DataDirectory = dataDirectory;
        ClientPort = clientPort;
        PeerPort = peerPort;
    }

    public string DataDirectory { get; }

    public int ClientPort { get; }

    public int PeerPort { get; }

    public Uri ClientUrl => new($"http://127.0.0.1:{ClientPort}");

    /// <summary>A connection string for this server, with a prefix of the test's own.</summary>
    public ClusterConnectionString ConnectionString(string prefix = ClusterConnectionString.DefaultPrefix) => new([ClientUrl], prefix);

    /// <summary>What etcd printed, for failure messages.</summary>
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

    /// <summary>The etcd binary on PATH, or null.</summary>
    public static string? FindBinary() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "etcd"))
            .FirstOrDefault(File.Exists);

    /// <summary>Skips the calling test, visibly, when etcd is not installed.</summary>
    public static string RequireBinary()
    {
        var binary = FindBinary();
        Assert.SkipWhen(binary is null,
            "etcd is not installed: run ./test.sh (it installs etcd-server as root) or 'sudo apt-get install etcd-server'.");
        return binary!;
    }

    public static async Task<EtcdServer> StartAsync(CancellationToken cancellationToken)
    {
        var binary = RequireBinary();
        var directory = Directory.CreateTempSubdirectory("fluid-etcd-test-").FullName;
        var server = new EtcdServer(binary, Path.Combine(directory, "data"), FreePort.Next(), FreePort.Next());
        await server.RestartAsync(cancellationToken);
        return server;
    }

    /// <summary>Starts etcd (again) on the same ports and data, and waits until it serves.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        var client = $"http://127.0.0.1:{ClientPort}";
        var peer = $"http://127.0.0.1:{PeerPort}";
        var start = new ProcessStartInfo(_binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--name", "test", "--data-dir", DataDirectory,
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", $"test={peer}", "--logger", "zap", "--log-outputs", "stderr",
        })
        {
            start.ArgumentList.Add(arg);
        }

        _process?.Dispose();
        _process = Process.Start(start) ?? throw new InvalidOperationException("etcd did not start");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilHealthyAsync(cancellationToken);
    }

    /// <summary>Kills etcd at once, as a crash would; the data directory stays for a restart.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        var root = Path.GetDirectoryName(DataDirectory)!;
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
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

    private async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"etcd exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                var health = await http.GetStringAsync(new Uri(ClientUrl, "/health"), cancellationToken);
                if (health.Contains("true", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // A slow first answer; ask again.
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"etcd did not become healthy within 20 s:\n{Output}");
    }
}
