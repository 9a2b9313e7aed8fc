using Fluid.Aspire.Contracts;
using Fluid.Aspire.TestSupport;
using k8s;
using Fluid.Sdk;

namespace Fluid.Aspire.Cli.Tests;

/// <summary>What one run of the built <c>fluid</c> did.</summary>
public sealed record CliRun(int ExitCode, string Output)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>
/// One local stack for all the command tests, set up once as a user would with the SDK: a dataset bound to a
/// runtime, a two-step flow, a step that prints a known line, and a step that fails. Tests read it, and any test
/// that changes something makes objects of its own.
/// </summary>
public sealed class StackFixture : IAsyncLifetime
{
    public const string EchoedLine = "hello from the step";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TemporaryDirectory _data = new();

    public LocalCluster Cluster { get; private set; } = null!;

    public FluidClient Client { get; private set; } = null!;

    public static string Executable => RepositoryPaths.Output("src/Cli", "fluid");

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        Cluster = await LocalCluster.StartAsync(1, cancellationToken);
        Client = new FluidClient(new ClientConfig { ConnectionString = Cluster.ConnectionString });
        await File.WriteAllTextAsync(Path.Combine(_data.Path, "rows.csv"), "x,y\n1,2\n", cancellationToken);
        var dataset = await Client.CreateDatasetAsync("housing", $"local://{_data.Path}", cancellationToken: cancellationToken);
        await dataset.BindRuntimeAsync(replicas: 1, cacheCapacityGiB: 0.03125, timeout: Patience, cancellationToken: cancellationToken);

        await (await dataset.Process(Processor.FromCommand("true")).Process(Processor.FromCommand("true")).RunAsync("r1", cancellationToken))
            .WaitAsync(Patience, cancellationToken);
        await (await dataset.Process(Processor.FromCommand("bash", ["-c", $"echo preparing; echo '{EchoedLine}'"])).RunAsync("echo", cancellationToken))
            .WaitAsync(Patience, cancellationToken);
        var failing = await dataset.Process(Processor.FromCommand("bash", ["-c", "echo 'the model did not converge' >&2; exit 3"])).RunAsync("bad", cancellationToken);
        await Assert.ThrowsAsync<FlowFailedException>(() => failing.WaitAsync(Patience, cancellationToken));

        // Events are written just after the status they report; describe is tested once the last one is there.
        await Eventually.ReturnsAsync(() => Client.Kubernetes.CoreV1.ListEventForAllNamespacesAsync(cancellationToken: cancellationToken),
            events => events.Items.Any(e => e.InvolvedObject.Name == "housing" && e.Reason == "Bound")
                && events.Items.Any(e => e.InvolvedObject.Name == "r1-step1" && e.Reason == "Completed")
                && events.Items.Any(e => e.InvolvedObject.Name == "bad-step0" && e.Reason == "Failed"),
            Patience, "the steps' last events", cancellationToken);
    }

    /// <summary>Runs the built fluid against this stack (unless the arguments name another connection).</summary>
    public Task<CliRun> RunAsync(params string[] arguments) =>
        RunWithAsync(arguments.Contains("--connection") ? arguments : [.. arguments, "--connection", Cluster.ConnectionString]);

    /// <summary>Runs the built fluid with exactly these arguments.</summary>
    public static Task<CliRun> RunWithAsync(params string[] arguments) => RunAtHomeAsync(Path.GetTempPath(), arguments);

    /// <summary>Runs the built fluid with exactly these arguments, for a user whose home is <paramref name="home"/>.</summary>
    public static async Task<CliRun> RunAtHomeAsync(string home, params string[] arguments)
    {
        await using var fluid = ChildProcess.StartDotnet(Executable, arguments, new Dictionary<string, string?>
        {
            // Nothing of the test machine's own configuration may leak in.
            ["ConnectionStrings__fluid"] = null,
            ["FLUID_ETCD"] = null,
            ["KUBECONFIG"] = null,
            ["HOME"] = home,
        });
        var exitCode = await fluid.WaitForExitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        return new CliRun(exitCode, fluid.Output);
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        _data.Dispose();
    }
}
