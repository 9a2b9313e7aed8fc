using System.Diagnostics;
using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>The whole local stack, started through the AppHost as a user starts it: real etcd, real processes.</summary>
public sealed class LocalStackTests
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan LeaseExpiry = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_controller_lists_both_nodes_and_sees_a_killed_daemon_go_when_its_lease_expires()
    {
        EtcdServer.RequireBinary();
        using var etcdData = new TemporaryDirectory();
        using var sockets = new TemporaryDirectory();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Fluid_Aspire_AppHost>(
            ["--Fluid:Nodes=2", "--Fluid:LeaseTtlSeconds=3", $"--Fluid:EtcdDataDirectory={etcdData.Path}",
                $"--Fluid:SocketDirectory={sockets.Path}", "--Fluid:ObjectStoreMemory=64Mi", "--Fluid:RunSample=false"],
            Cancellation);
        await using var app = await builder.BuildAsync(Cancellation);
        await app.StartAsync(Cancellation);

        await app.ResourceNotifications.WaitForResourceAsync("fluid", KnownResourceStates.Running, Cancellation)
            .WaitAsync(StartupTimeout, Cancellation);
        using var controller = app.CreateHttpClient("fluid-controller", "http");

        var nodes = await Eventually.ReturnsAsync(
            () => ListNodesAsync(controller),
            list => list.Count == 2 && list.All(n => n.Ready),
            StartupTimeout,
            "two ready nodes",
            Cancellation);
        Assert.Equal(["node-0", "node-1"], nodes.Select(n => n.Name));
        Assert.Equal(["zone-a", "zone-b"], nodes.Select(n => n.Labels[NodeLabels.Zone]));
        await AssertObjectsMoveBetweenNodesAsync(sockets.Path);
        await AssertSdkFlowRunsAndCleansUpAsync(await app.GetConnectionStringAsync("fluid", Cancellation), sockets.Path);
        var doomed = nodes[1].Members.Single(m => m.Component == NodeComponents.ObjectStore);

        KillProcess(doomed.ProcessId);

        var afterObjectStoreDied = await Eventually.ReturnsAsync(
            () => ListNodesAsync(controller),
            list => list.Single(n => n.Name == "node-1").Members.All(m => m.Component != NodeComponents.ObjectStore),
            LeaseExpiry,
            "node-1's object store to leave once its lease expired",
            Cancellation);
        Assert.False(afterObjectStoreDied.Single(n => n.Name == "node-1").Ready);
        Assert.Equal([NodeComponents.ObjectStore], afterObjectStoreDied.Single(n => n.Name == "node-1").Missing);
        Assert.True(afterObjectStoreDied.Single(n => n.Name == "node-0").Ready);

        KillProcess(nodes[1].Members.Single(m => m.Component == NodeComponents.CacheAgent).ProcessId);

        var remaining = await Eventually.ReturnsAsync(
            () => ListNodesAsync(controller),
            list => list.All(n => n.Name != "node-1"),
            LeaseExpiry,
            "node-1 to disappear once its last daemon's lease expired",
            Cancellation);
        Assert.Equal(["node-0"], remaining.Select(n => n.Name));
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

    private static async Task<List<ClusterNode>> ListNodesAsync(HttpClient controller) =>
        await controller.GetFromJsonAsync<List<ClusterNode>>("/api/v1/nodes", ClusterJson.Options, Cancellation) ?? [];

    /// <summary>SIGKILL: the daemon gets no chance to deregister, as when a machine or a process crashes.</summary>
    private static void KillProcess(int processId)
    {
        using var process = Process.GetProcessById(processId);
        process.Kill();
        process.WaitForExit(TimeSpan.FromSeconds(10));
    }
}
