using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Benchmarks.ObjectStore;

/// <summary>A daemon started for a benchmark, from the Release build, with its socket in a directory of its own.</summary>
internal sealed class BenchDaemon : IAsyncDisposable
{
    private readonly TemporaryDirectory _directory;

    private BenchDaemon(TemporaryDirectory directory, ChildProcess process)
    {
        _directory = directory;
        Process = process;
    }

    public ChildProcess Process { get; }

    public string SocketPath => Path.Combine(_directory.Path, "os.sock");

    public static async Task<BenchDaemon> StartAsync(string size, IEnumerable<string> options, CancellationToken cancellationToken)
    {
        var directory = new TemporaryDirectory();
        var process = ChildProcess.StartDotnet(
            RepositoryPaths.Output("src/ObjectStore", "fluid-objectstore"),
            ["start", "--size", size, "--socket", Path.Combine(directory.Path, "os.sock"), .. options],
            new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Warning", ["Fluid__Node__LeaseTtlSeconds"] = "5" });
        var daemon = new BenchDaemon(directory, process);
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await daemon.DisposeAsync();
                throw new InvalidOperationException($"The daemon did not start:\n{process.Output}");
            }

            try
            {
                using var probe = await ObjectStoreClient.ConnectAsync(daemon.SocketPath, cancellationToken);
                return daemon;
            }
            catch (ObjectStoreException)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    public Task<ObjectStoreClient> ConnectAsync(CancellationToken cancellationToken) => ObjectStoreClient.ConnectAsync(SocketPath, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        _directory.Dispose();
    }
}
