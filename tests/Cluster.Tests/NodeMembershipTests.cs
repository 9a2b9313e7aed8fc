using System.Text.Json;
using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.TestSupport;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Fluid.Aspire.Cluster.Tests;

public sealed class NodeMembershipTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_node_is_ready_once_every_required_daemon_has_registered()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var controller = await ClusterHost.StartAsync(etcd, b => b.AddNodeDirectory(), Cancellation);
        var directory = controller.Services.GetRequiredService<NodeDirectory>();

        await using var store = await ClusterHost.StartMemberAsync(etcd, "node-0", NodeComponents.ObjectStore, Cancellation);
        var partial = await WaitForNode(directory, "node-0", n => n.Members.Count == 1);
        Assert.False(partial.Ready);
        Assert.Equal([NodeComponents.CacheAgent], partial.Missing);

        await using var agent = await ClusterHost.StartMemberAsync(etcd, "node-0", NodeComponents.CacheAgent, Cancellation);
        var node = await WaitForNode(directory, "node-0", n => n.Ready);

        Assert.Equal("zone-a", node.Labels[NodeLabels.Zone]);
        Assert.Equal("node-0", node.Labels[NodeLabels.Node]);
        Assert.All(node.Members, m => Assert.Equal(Environment.ProcessId, m.ProcessId));
        Assert.All(node.Members, m => Assert.StartsWith("http://127.0.0.1:", m.Endpoints["http"], StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_daemon_that_stops_leaves_at_once()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var controller = await ClusterHost.StartAsync(etcd, b => b.AddNodeDirectory(), Cancellation);
        var directory = controller.Services.GetRequiredService<NodeDirectory>();
        var member = await ClusterHost.StartMemberAsync(etcd, "node-1", NodeComponents.ObjectStore, Cancellation, leaseTtlSeconds: 60);
        await WaitForNode(directory, "node-1", _ => true);

        await member.StopAsync(Cancellation);
        await member.DisposeAsync();

        // With a 60 s lease, only the revocation on stop can make it go this fast.
        await Eventually.ReturnsAsync(() => directory.Nodes, nodes => nodes.Count == 0, TimeSpan.FromSeconds(5),
            "no nodes after the only daemon stopped", Cancellation);
    }

    [Fact]
    public async Task A_member_whose_lease_is_not_kept_alive_disappears_when_it_expires()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var controller = await ClusterHost.StartAsync(etcd, b => b.AddNodeDirectory(), Cancellation);
        var directory = controller.Services.GetRequiredService<NodeDirectory>();
        var connection = controller.Services.GetRequiredService<EtcdConnection>();

        // What a killed daemon leaves behind: its key under a lease that no one refreshes any more.
        var lease = await connection.Leases.LeaseGrantAsync(new LeaseGrantRequest { TTL = 2 }, cancellationToken: Cancellation);
        var member = new NodeMember("node-9", NodeComponents.ObjectStore, new Dictionary<string, string>(), "host", 1,
            new Dictionary<string, string>(), DateTimeOffset.UtcNow, "test");
        await connection.KeyValue.PutAsync(new PutRequest
        {
            Key = EtcdKeys.ToBytes(NodeKeys.Member(connection.Prefix, "node-9", NodeComponents.ObjectStore)),
            Value = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(member, ClusterJson.Options)),
            Lease = lease.ID,
        }, cancellationToken: Cancellation);
        await WaitForNode(directory, "node-9", _ => true);

        await Eventually.ReturnsAsync(() => directory.Nodes, nodes => nodes.Count == 0, TimeSpan.FromSeconds(10),
            "node-9 gone after its 2 s lease expired", Cancellation);
    }

    [Fact]
    public async Task Registration_and_the_directory_survive_an_etcd_restart()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var controller = await ClusterHost.StartAsync(etcd, b => b.AddNodeDirectory(), Cancellation);
        var directory = controller.Services.GetRequiredService<NodeDirectory>();
        await using var member = await ClusterHost.StartMemberAsync(etcd, "node-0", NodeComponents.ObjectStore, Cancellation);
        var registrar = member.Services.GetRequiredService<NodeRegistrar>();
        await WaitForNode(directory, "node-0", _ => true);

        await etcd.KillAsync();
        await Eventually.ReturnsAsync(() => registrar.IsRegistered, registered => !registered, Patience,
            "the registrar to notice that etcd is gone", Cancellation);
        await etcd.RestartAsync(Cancellation);

        await Eventually.ReturnsAsync(() => registrar.IsRegistered, registered => registered, Patience,
            "the registrar to register again", Cancellation);
        // Longer than the 3 s lease: the member must be kept under its new lease, not vanish with the old one.
        await Task.Delay(TimeSpan.FromSeconds(5), Cancellation);
        await WaitForNode(directory, "node-0", n => n.Members.Count == 1);
    }

    [Fact]
    public async Task A_service_without_a_connection_string_fails_with_how_to_fix_it()
    {
        var builder = WebApplication.CreateBuilder();

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddFluidCluster());

        Assert.Contains("ConnectionStrings__fluid", error.Message, StringComparison.Ordinal);
    }

    private static Task<ClusterNode> WaitForNode(NodeDirectory directory, string name, Func<ClusterNode, bool> accept) =>
        Eventually.ReturnsAsync(
            () => directory.Nodes.FirstOrDefault(n => n.Name == name),
            node => node is not null && accept(node),
            Patience,
            $"node {name} in the directory",
            Cancellation)!;
}
