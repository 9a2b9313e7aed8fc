using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts.Kubernetes;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.TestSupport;
using k8s;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>The whole local stack, started through the AppHost as a user starts it: real etcd, real processes.</summary>
public sealed class LocalStackTests
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan LeaseExpiry = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Both_nodes_appear_on_the_API_and_a_killed_daemon_goes_when_its_lease_expires()
    {
        EtcdServer.RequireBinary();
        using var state = new TemporaryDirectory();
        using var sockets = new TemporaryDirectory();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Fluid_Aspire_AppHost>(
            ["--Fluid:Nodes=2", "--Fluid:LeaseTtlSeconds=3", $"--Fluid:StateDirectory={state.Path}",
                $"--Fluid:SocketDirectory={sockets.Path}", "--Fluid:ObjectStoreMemory=64Mi", "--Fluid:RunSample=false"],
            Cancellation);
        await using var app = await builder.BuildAsync(Cancellation);
        await app.StartAsync(Cancellation);

        await app.ResourceNotifications.WaitForResourceAsync("fluid", KnownResourceStates.Running, Cancellation)
            .WaitAsync(StartupTimeout, Cancellation);
        var connectionString = await app.GetConnectionStringAsync("fluid", Cancellation);
        using var kubernetes = new k8s.Kubernetes(Kubeconfig.Load(ClusterConnectionString.Parse(connectionString).Kubeconfig));

        var nodes = await Eventually.ReturnsAsync(
            () => ListNodesAsync(kubernetes),
            list => list.Count == 2 && list.All(n => n.Ready),
            StartupTimeout,
            "two ready nodes",
            Cancellation);
        Assert.Equal(["node-0", "node-1"], nodes.Select(n => n.Name));
        Assert.Equal(["zone-a", "zone-b"], nodes.Select(n => n.Labels[NodeLabels.Zone]));
        // The object stores and the controller share a token only the user can read; objects still move with it.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(state.Path, "objectstore-token")));
        await AssertObjectsMoveBetweenNodesAsync(sockets.Path);
        await AssertSdkFlowRunsAndCleansUpAsync(connectionString!, sockets.Path);
        var doomed = nodes[1].Members.Single(m => m.Component == NodeComponents.ObjectStore);

        KillProcess(doomed.ProcessId);

        var afterObjectStoreDied = await Eventually.ReturnsAsync(
            () => ListNodesAsync(kubernetes),
            list => list.Single(n => n.Name == "node-1").Members.All(m => m.Component != NodeComponents.ObjectStore),
            LeaseExpiry,
            "node-1's object store to leave once its lease expired",
            Cancellation);
        Assert.False(afterObjectStoreDied.Single(n => n.Name == "node-1").Ready);
        Assert.Equal([NodeComponents.ObjectStore], afterObjectStoreDied.Single(n => n.Name == "node-1").Missing);
        Assert.True(afterObjectStoreDied.Single(n => n.Name == "node-0").Ready);
        // The controller, as the simulated nodes' kubelet would, says so in the Node's Ready condition (kubectl's STATUS).
        var condition = await Eventually.ReturnsAsync(
            async () => (await kubernetes.CoreV1.ReadNodeAsync("node-1", cancellationToken: Cancellation)).Status?.Conditions?.SingleOrDefault(c => c.Type == "Ready"),
            ready => ready?.Status == "False",
            LeaseExpiry,
            "node-1's Ready condition False",
            Cancellation);
        Assert.Contains(NodeComponents.ObjectStore, condition!.Message, StringComparison.Ordinal);
        Assert.Equal("True", (await kubernetes.CoreV1.ReadNodeAsync("node-0", cancellationToken: Cancellation)).Status.Conditions.Single(c => c.Type == "Ready").Status);

        KillProcess(nodes[1].Members.Single(m => m.Component == NodeComponents.CacheAgent).ProcessId);

        // As a Node whose kubelet died, node-1 stays, with no daemon and not ready.
        var remaining = await Eventually.ReturnsAsync(
            () => ListNodesAsync(kubernetes),
            list => list.Single(n => n.Name == "node-1").Members.Count == 0,
            LeaseExpiry,
            "node-1 to have no daemon once its last daemon's lease expired",
            Cancellation);
        Assert.Equal([true, false], remaining.Select(n => n.Ready));
    }

    /// <summary>Each node's object store serves its socket, and a persisted object put on node-0 is fetched on node-1.</summary>
    private static async Task AssertObjectsMoveBetweenNodesAsync(string socketDirectory)
    {
        await using var first = await ObjectStoreClient.ConnectAsync(Path.Combine(socketDirectory, "node-0.sock"), Cancellation);
        await using var second = await ObjectStoreClient.ConnectAsync(Path.Combine(socketDirectory, "node-1.sock"), Cancellation);
        Assert.Equal(["node-0", "node-1"], new[] { first.Node, second.Node });
        var id = await first.PutAsync("made on node-0"u8.ToArray(), new PutOptions { Name = "greeting", Persist = true }, Cancellation);

        using var copy = await second.GetAsync("greeting", new GetOptions { Fetch = true }, Cancellation);

        Assert.Equal(id, copy.Id);
        Assert.Equal("made on node-0"u8.ToArray(), copy.Blobs[0].Span.ToArray());
    }

    /// <summary>
    /// A program written with the SDK runs a 3-step flow of method steps on the stack, handing a tensor along, and
    /// cleans up: nothing of its run is left in etcd or in the object stores (the AppHost's own sample runs beside it).
    /// </summary>
    private static async Task AssertSdkFlowRunsAndCleansUpAsync(string? connectionString, string socketDirectory)
    {
        const string runId = "apphost";
        await using var program = ChildProcess.StartDotnet(RepositoryPaths.Output("tests/ControlPlane.FlowProgram", "Fluid.Aspire.ControlPlane.FlowProgram"),
            [runId], new Dictionary<string, string?> { ["ConnectionStrings__fluid"] = connectionString });
        var exitCode = await program.WaitForExitAsync(TimeSpan.FromMinutes(3), Cancellation);
        Assert.True(exitCode == 0, program.Output);
        Assert.Contains("RESULT ok steps=3", program.Output, StringComparison.Ordinal);

        // Its dataset, runtime, steps and their events are all named after the run.
        await Eventually.ReturnsAsync(() => StoredResources.KeysAsync(ClusterConnectionString.Parse(connectionString), Cancellation),
            keys => !keys.Any(k => k[(k.LastIndexOf('/') + 1)..].StartsWith(runId, StringComparison.Ordinal)),
            LeaseExpiry, "nothing of the run left in etcd: no dataset, runtime, step or event", Cancellation);
        foreach (var node in new[] { "node-0", "node-1" })
        {
            await using var store = await ObjectStoreClient.ConnectAsync(Path.Combine(socketDirectory, $"{node}.sock"), Cancellation);
            var names = (await store.ListAsync(cancellationToken: Cancellation)).Objects.SelectMany(o => o.Names);
            Assert.DoesNotContain(names, name => name is "numbers" or "doubled");
        }
    }

    private static Task<IReadOnlyList<ClusterNode>> ListNodesAsync(k8s.Kubernetes kubernetes) =>
        ClusterNode.ReadAsync(kubernetes, "default", DateTimeOffset.UtcNow, cancellationToken: Cancellation);

    /// <summary>SIGKILL: the daemon gets no chance to deregister, as when a machine or a process crashes.</summary>
    private static void KillProcess(int processId)
    {
        using var process = Process.GetProcessById(processId);
        process.Kill();
        process.WaitForExit(TimeSpan.FromSeconds(10));
    }
}
