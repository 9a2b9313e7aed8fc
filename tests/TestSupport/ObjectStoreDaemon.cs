using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.TestSupport;

/// <summary>
/// A real object store daemon for one test: the built <c>fluid-objectstore start</c> in a child process, with its
/// own socket and ports, standalone or joined to a test's etcd. Killed, and its files removed, on dispose.
/// </summary>
public sealed class ObjectStoreDaemon : IAsyncDisposable
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    private readonly TemporaryDirectory _directory;

    private ObjectStoreDaemon(TemporaryDirectory directory, ChildProcess process, string node, int rpcPort)
    {
        _directory = directory;
        Process = process;
        Node = node;
        RpcPort = rpcPort;
    }

    public ChildProcess Process { get; }

    public string Node { get; }

    public string SocketPath => Path.Combine(_directory.Path, "os.sock");

    public string Directory => _directory.Path;

    public int RpcPort { get; }

    public Uri RpcEndpoint => new($"http://127.0.0.1:{RpcPort}");

    public static string Executable => RepositoryPaths.Output("src/ObjectStore", "fluid-objectstore");

    /// <param name="leaseTtlSeconds">The TTL of its etcd lease: short, so that a killed daemon's keys go soon.</param>
    public static async Task<ObjectStoreDaemon> StartAsync(
        CancellationToken cancellationToken, string size = "64Mi", EtcdServer? etcd = null, string node = "node-0", int leaseTtlSeconds = 3,
        params string[] options)
    {
        var directory = new TemporaryDirectory();
        var rpcPort = FreePort.Next();
        var arguments = new List<string>
        {
            "start", "--size", size, "--socket", Path.Combine(directory.Path, "os.sock"), "--rpc-port", $"{rpcPort}", "--node", node,
        };
        if (etcd is not null)
        {
            arguments.AddRange(["--etcd", etcd.ClientUrl.ToString()]);
        }

        arguments.AddRange(options);
        var process = ChildProcess.StartDotnet(Executable, arguments, new Dictionary<string, string?>
        {
            ["Fluid__Node__LeaseTtlSeconds"] = $"{leaseTtlSeconds}",
            // A test's nodes are simulated: with --kubeconfig, the daemon keeps its Node object.
            ["Fluid__Node__Register"] = "true",
            ["Logging__LogLevel__Default"] = "Information",
        });
        var daemon = new ObjectStoreDaemon(directory, process, node, rpcPort);
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

    public Task<ObjectStoreClient> ConnectAsync(CancellationToken cancellationToken, string name = "test") =>
        ObjectStoreClient.ConnectAsync(new ObjectStoreClientOptions { SocketPath = SocketPath, ClientName = name }, cancellationToken);

    /// <summary>Runs the CLI against this daemon as another process, and returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> CliAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        await using var cli = ChildProcess.StartDotnet(Executable, ["--socket", SocketPath, .. arguments]);
        var exitCode = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        return (exitCode, cli.Output);
    }

    /// <summary>Starts the test client program against this daemon.</summary>
    public ChildProcess StartTestClient(params string[] arguments) =>
        ChildProcess.StartDotnet(RepositoryPaths.Output("tests/ObjectStore.TestClient", "Fluid.Aspire.ObjectStore.TestClient"), [arguments[0], SocketPath, .. arguments[1..]]);

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        _directory.Dispose();
    }

    private async Task WaitUntilServingAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartupTimeout;
        while (true)
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"The daemon exited with code {Process.ExitCode}:\n{Process.Output}");
            }

            if (File.Exists(SocketPath))
            {
                try
                {
                    using var probe = await ObjectStoreClient.ConnectAsync(
                        new ObjectStoreClientOptions { SocketPath = SocketPath, ConnectTimeout = TimeSpan.FromSeconds(30) }, cancellationToken);
                    return;
                }
                catch (ObjectStoreException) when (DateTime.UtcNow < deadline)
                {
                    // Listening, but not yet registered; try again.
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The daemon did not serve {SocketPath} within {StartupTimeout.TotalSeconds} s:\n{Process.Output}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
