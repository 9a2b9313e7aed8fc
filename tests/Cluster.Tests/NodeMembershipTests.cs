using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Controller.Nodes;
using Fluid.Aspire.TestSupport;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Aspire.Cluster.Tests;

/// <summary>Node daemons register through their member Leases on the local API; the controller's directory follows them.</summary>
public sealed class NodeMembershipTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_simulated_node_appears_as_a_Node_with_its_labels_and_is_ready_once_every_required_daemon_holds_its_lease()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var api = await ApiServerProcess.StartAsync(etcd, Cancellation);
        using var kubernetes = api.CreateKubernetes();
        using var directory = await StartDirectoryAsync(kubernetes);

        await using var store = await ClusterHost.StartMemberAsync(etcd, api, "node-0", NodeComponents.ObjectStore, Cancellation);
        var partial = await WaitForNode(directory, "node-0", n => n.Members.Count == 1);
        Assert.False(partial.Ready);
        Assert.Equal([NodeComponents.CacheAgent], partial.Missing);

        await using var agent = await ClusterHost.StartMemberAsync(etcd, api, "node-0", NodeComponents.CacheAgent, Cancellation);
        var node = await WaitForNode(directory, "node-0", n => n.Ready);

        Assert.Equal("zone-a", node.Labels[NodeLabels.Zone]);
        Assert.Equal("node-0", node.Labels[NodeLabels.Node]);
        Assert.All(node.Members, m => Assert.Equal(Environment.ProcessId, m.ProcessId));
        Assert.All(node.Members, m => Assert.StartsWith("http://127.0.0.1:", m.Endpoints["http"], StringComparison.Ordinal));
        var stored = await kubernetes.CoreV1.ReadNodeAsync("node-0", cancellationToken: Cancellation);
        Assert.Equal("zone-a", stored.Metadata.Labels[NodeLabels.Zone]);
        var lease = await kubernetes.CoordinationV1.ReadNamespacedLeaseAsync(MemberLease.Name("node-0", NodeComponents.ObjectStore), "default", cancellationToken: Cancellation);
        Assert.Equal(3, lease.Spec.LeaseDurationSeconds);
        Assert.Equal($"{Environment.MachineName}_{Environment.ProcessId}", lease.Spec.HolderIdentity);
        // One-shot readers (the CLI) see the same nodes from the API.
        var read = await ClusterNode.ReadAsync(kubernetes, "default", DateTimeOffset.UtcNow, cancellationToken: Cancellation);
        Assert.True(Assert.Single(read).Ready);
    }

    [Fact]
    public async Task A_daemon_listening_on_every_address_registers_the_address_it_advertises()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var api = await ApiServerProcess.StartAsync(etcd, Cancellation);
        using var kubernetes = api.CreateKubernetes();
        using var directory = await StartDirectoryAsync(kubernetes);
        var port = FreePort.Next();

        await using var agent = await ClusterHost.StartMemberAsync(etcd, api, "node-0", NodeComponents.CacheAgent, Cancellation,
            settings: [("urls", $"http://0.0.0.0:{port}"), ("Fluid:Node:AdvertiseAddress", "127.0.0.1")]);

        var node = await WaitForNode(directory, "node-0", n => n.Members.Count == 1);
        Assert.Equal($"http://127.0.0.1:{port}", node.Members.Single().Endpoints["http"]);
    }

    [Fact]
    public async Task A_daemon_that_stops_deletes_its_lease_and_leaves_at_once_while_its_Node_stays()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var api = await ApiServerProcess.StartAsync(etcd, Cancellation);
        using var kubernetes = api.CreateKubernetes();
        using var directory = await StartDirectoryAsync(kubernetes);
        var member = await ClusterHost.StartMemberAsync(etcd, api, "node-1", NodeComponents.ObjectStore, Cancellation, leaseTtlSeconds: 60);
        await WaitForNode(directory, "node-1", n => n.Members.Count == 1);

        await member.StopAsync(Cancellation);
        await member.DisposeAsync();

        // With a 60 s lease, only the deletion on stop can make it go this fast.
        var node = await WaitForNode(directory, "node-1", n => n.Members.Count == 0, TimeSpan.FromSeconds(5));
        Assert.False(node.Ready);
        var leases = await kubernetes.CoordinationV1.ListNamespacedLeaseAsync("default", labelSelector: MemberLease.Selector, cancellationToken: Cancellation);
        Assert.Empty(leases.Items);
    }

    [Fact]
    public async Task A_member_whose_lease_is_not_renewed_leaves_when_it_expires()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var api = await ApiServerProcess.StartAsync(etcd, Cancellation);
        using var kubernetes = api.CreateKubernetes();
        using var directory = await StartDirectoryAsync(kubernetes);

        // What a killed daemon leaves behind: a lease that no one renews any more.
        await kubernetes.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "node-9" } }, cancellationToken: Cancellation);
        var now = DateTimeOffset.UtcNow;
        var member = new NodeMember("node-9", NodeComponents.ObjectStore, "host", 1, new Dictionary<string, string>(), now, now, "test");
        await kubernetes.CoordinationV1.CreateNamespacedLeaseAsync(MemberLease.For(member, TimeSpan.FromSeconds(2), now), "default", cancellationToken: Cancellation);
        await WaitForNode(directory, "node-9", n => n.Members.Count == 1);

        await WaitForNode(directory, "node-9", n => n.Members.Count == 0, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_daemon_registers_again_after_the_API_server_restarts()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var api = await ApiServerProcess.StartAsync(etcd, Cancellation);
        await using var member = await ClusterHost.StartMemberAsync(etcd, api, "node-0", NodeComponents.ObjectStore, Cancellation);
        var registrar = member.Services.GetRequiredService<NodeRegistrar>();
        await Eventually.ReturnsAsync(() => registrar.IsRegistered, registered => registered, Patience, "the daemon registered", Cancellation);

        api.Kill();
        await Eventually.ReturnsAsync(() => registrar.IsRegistered, registered => !registered, Patience,
            "the registrar to notice, after a lease duration of failed renewals, that the API is gone", Cancellation);
        await api.RestartAsync(Cancellation);

        await Eventually.ReturnsAsync(() => registrar.IsRegistered, registered => registered, Patience, "the registrar to register again", Cancellation);
        using var kubernetes = api.CreateKubernetes();
        using var directory = await StartDirectoryAsync(kubernetes);
        await WaitForNode(directory, "node-0", n => n.Members.Count == 1);
    }

    [Fact]
    public async Task A_service_without_a_connection_string_fails_with_how_to_fix_it()
    {
        var builder = WebApplication.CreateBuilder();

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddFluidCluster());

        Assert.Contains("ConnectionStrings__fluid", error.Message, StringComparison.Ordinal);
    }

    private static async Task<NodeDirectory> StartDirectoryAsync(k8s.Kubernetes kubernetes)
    {
        var directory = new NodeDirectory(kubernetes, "default", NullLogger<NodeDirectory>.Instance);
        await directory.StartAsync(Cancellation);
        await directory.Synced.WaitAsync(Patience, Cancellation);
        return directory;
    }

    private static Task<ClusterNode> WaitForNode(NodeDirectory directory, string name, Func<ClusterNode, bool> accept, TimeSpan? patience = null) =>
        Eventually.ReturnsAsync(
            () => directory.Nodes.FirstOrDefault(n => n.Name == name),
            node => node is not null && accept(node),
            patience ?? Patience,
            $"node {name} in the directory",
            Cancellation)!;
}
