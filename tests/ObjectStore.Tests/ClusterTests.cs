using System.Text.Json;
using Etcdserverpb;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Cluster;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

using static Fluid.Aspire.ObjectStore.Tests.CatalogProbe;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>Two instances joined through a real etcd: persisted metadata, global names, fetching, deletion, dead instances.</summary>
public sealed class ClusterTests
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_instance_registers_its_node_socket_and_endpoints_under_a_lease()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var first = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-0");
        await using var second = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1");
        using var connection = new EtcdConnection(etcd.ConnectionString());

        var instances = await ListAsync(connection, "/fluid/objectstore/instances/");

        var records = instances.Select(kv => JsonSerializer.Deserialize<InstanceRecord>(kv.Value.Span, ClusterJson.Options)!).OrderBy(r => r.Node).ToArray();
        Assert.Equal(["node-0", "node-1"], records.Select(r => r.Node));
        Assert.Equal(2, records.Select(r => r.Instance).Distinct().Count());
        Assert.Equal(first.SocketPath, records[0].IpcSocket);
        Assert.Equal(first.RpcEndpoint.ToString().TrimEnd('/'), records[0].RpcEndpoint);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", records[1].BulkEndpoint);
        Assert.All(instances, kv => Assert.NotEqual(0, kv.Lease));
        Assert.Equal("node-1", records[1].Labels["fluid.io/node"]);
    }

    [Fact]
    public async Task A_persisted_object_is_seen_by_another_instance_and_fetched_over_the_bulk_channel()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var owner = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-0");
        await using var other = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1");
        await using var producer = await owner.ConnectAsync(Cancellation);
        await using var consumer = await other.ConnectAsync(Cancellation);
        var bytes = Enumerable.Range(0, 8 * MiB).Select(i => (byte)(i * 31)).ToArray();
        var id = await producer.PutAsync(bytes, new PutOptions { Name = "shared", Persist = true }, Cancellation);

        var listed = await Eventually.ReturnsAsync(() => consumer.ListAsync("shared", cancellationToken: Cancellation),
            l => l.Objects.Count == 1, Patience, "the persisted object listed on the other instance", Cancellation);
        Assert.False(listed.Objects[0].IsLocal);
        var stat = await consumer.StatAsync("shared", Cancellation);
        Assert.Equal((id, 8L * MiB, false), (stat.Meta.Id, stat.Meta.NBytes, stat.IsLocal));
        var notHere = await Assert.ThrowsAsync<ObjectStoreException>(() => consumer.GetAsync("shared", cancellationToken: Cancellation));
        Assert.Contains("fetch", notHere.Message, StringComparison.Ordinal);
        Assert.Contains("node-0", notHere.Message, StringComparison.Ordinal);

        using var copy = await consumer.GetAsync("shared", new GetOptions { Fetch = true }, Cancellation);
        Assert.True((await consumer.StatAsync(id, Cancellation)).IsLocal);

        Assert.Equal(id, copy.Id);
        Assert.True(copy.Blobs[0].Span.SequenceEqual(bytes));
        Assert.Equal(8 * MiB, (await consumer.GetStatsAsync(Cancellation)).FetchedBytes);
        await WaitForLogAsync(other, "over bulk");
        using var connection = new EtcdConnection(etcd.ConnectionString());
        Assert.Single(await ListAsync(connection, $"/fluid/objectstore/replicas/{id}/"));
        using var again = await consumer.GetAsync("shared", cancellationToken: Cancellation);
    }

    [Fact]
    public async Task Fetching_works_over_grpc_when_the_bulk_channel_is_not_used()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var owner = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-0");
        await using var other = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1", options: ["--peer-channel", "Grpc"]);
        await using var producer = await owner.ConnectAsync(Cancellation);
        await using var consumer = await other.ConnectAsync(Cancellation);
        var bytes = Enumerable.Range(0, 3 * MiB + 5).Select(i => (byte)(i % 251)).ToArray();
        var id = await producer.PutAsync(bytes, new PutOptions { Persist = true }, Cancellation);

        using var copy = await consumer.GetAsync(id, new GetOptions { Fetch = true }, Cancellation);

        Assert.True(copy.Blobs[0].Span.SequenceEqual(bytes));
        await WaitForLogAsync(other, "over grpc");
    }

    [Fact]
    public async Task Names_of_persisted_objects_are_global_and_unique()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var first = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-0");
        await using var second = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1");
        await using var one = await first.ConnectAsync(Cancellation);
        await using var two = await second.ConnectAsync(Cancellation);
        var id = await one.PutAsync("first"u8.ToArray(), new PutOptions { Name = "model", Persist = true }, Cancellation);

        var persisted = await Assert.ThrowsAsync<ObjectStoreException>(
            () => two.PutAsync("second"u8.ToArray(), new PutOptions { Name = "model", Persist = true }, Cancellation));
        Assert.Equal(ObjectStoreErrorCode.NameTaken, persisted.Code);
        Assert.Contains(id.ToString(), persisted.Message, StringComparison.Ordinal);

        // At once, not only once the watch delivers the name: the refusal told this instance who holds it.
        var local = await Assert.ThrowsAsync<ObjectStoreException>(
            () => two.PutAsync("third"u8.ToArray(), new PutOptions { Name = "model" }, Cancellation));
        Assert.Equal(ObjectStoreErrorCode.NameTaken, local.Code);
        Assert.Equal(0, (await two.GetStatsAsync(Cancellation)).Objects);

        // A local object's names become global when it is persisted.
        var later = await two.PutAsync("later"u8.ToArray(), new PutOptions { Name = "later" }, Cancellation);
        await two.PersistAsync(later, Cancellation);
        using var fetched = await Eventually.ReturnsAsync(
            async () => await Record(() => one.GetAsync("later", new GetOptions { Fetch = true }, Cancellation)),
            result => result is ObjectHandle, Patience, "the persisted name seen by the first instance", Cancellation) as ObjectHandle;
        Assert.Equal("later"u8.ToArray(), fetched!.Blobs[0].Span.ToArray());
    }

    [Fact]
    public async Task Deleting_a_persisted_object_removes_it_and_its_copies_everywhere()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var owner = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-0");
        await using var other = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1");
        await using var producer = await owner.ConnectAsync(Cancellation);
        await using var consumer = await other.ConnectAsync(Cancellation);
        var id = await producer.PutAsync(new byte[2 * MiB], new PutOptions { Name = "gone-soon", Persist = true }, Cancellation);
        using (await consumer.GetAsync(id, new GetOptions { Fetch = true }, Cancellation))
        {
        }

        await consumer.DeleteAsync("gone-soon", Cancellation);

        await Eventually.ReturnsAsync(() => producer.GetStatsAsync(Cancellation), s => s.Objects == 0, Patience, "the owner's copy dropped", Cancellation);
        await Eventually.ReturnsAsync(() => consumer.GetStatsAsync(Cancellation), s => s.Objects == 0 && s.Used == 0, Patience,
            "the fetched copy dropped and freed", Cancellation);
        using var connection = new EtcdConnection(etcd.ConnectionString());
        Assert.DoesNotContain(await ListAsync(connection, "/fluid/objectstore/"), kv => !kv.Key.ToStringUtf8().Contains("/instances/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_objects_of_an_instance_that_dies_go_with_its_lease()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var doomed = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-0");
        await using var survivor = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1");
        await using (var producer = await doomed.ConnectAsync(Cancellation))
        {
            await producer.PutAsync(new byte[1000], new PutOptions { Name = "orphan", Persist = true }, Cancellation);
        }

        await using var client = await survivor.ConnectAsync(Cancellation);
        await Eventually.ReturnsAsync(() => client.ListAsync(cancellationToken: Cancellation), l => l.Objects.Count == 1, Patience,
            "the object visible before its instance dies", Cancellation);

        doomed.Process.Kill();

        await Eventually.ReturnsAsync(() => client.ListAsync(cancellationToken: Cancellation), l => l.Objects.Count == 0, Patience,
            "the dead instance's object gone once its 3 s lease expired", Cancellation);
        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => client.GetAsync("orphan", new GetOptions { Fetch = true }, Cancellation));
        Assert.Equal(ObjectStoreErrorCode.NameNotFound, error.Code);
    }

    [Fact]
    public async Task An_instance_that_loses_its_lease_registers_again_and_writes_back_what_it_owns()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var owner = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-0");
        await using var other = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1");
        await using var producer = await owner.ConnectAsync(Cancellation);
        var id = await producer.PutAsync("survives"u8.ToArray(), new PutOptions { Name = "durable", Persist = true }, Cancellation);
        using var connection = new EtcdConnection(etcd.ConnectionString());
        var before = Assert.Single(await ListAsync(connection, $"/fluid/objectstore/objects/{id}"));

        // What etcd does to an instance it has not heard from for longer than its TTL.
        await connection.Leases.LeaseRevokeAsync(new LeaseRevokeRequest { ID = before.Lease }, cancellationToken: Cancellation);

        var after = await Eventually.ReturnsAsync(() => ListAsync(connection, $"/fluid/objectstore/objects/{id}"),
            kvs => kvs.Count == 1 && kvs[0].Lease != before.Lease, Patience, "the object written back under a new lease", Cancellation);
        Assert.NotEqual(before.Lease, after[0].Lease);
        Assert.Single(await ListAsync(connection, "/fluid/objectstore/names/durable"));
        using var local = await producer.GetAsync("durable", cancellationToken: Cancellation);
        await using var consumer = await other.ConnectAsync(Cancellation);
        using var fetched = await Eventually.ReturnsAsync(
            async () => await Record(() => consumer.GetAsync("durable", new GetOptions { Fetch = true }, Cancellation)),
            result => result is ObjectHandle, Patience, "the object fetched from its re-registered owner", Cancellation) as ObjectHandle;
        Assert.Equal("survives"u8.ToArray(), fetched!.Blobs[0].Span.ToArray());
    }

    /// <summary>
    /// The daemon logs from a queue of its own, and its output reaches the test through a pipe: a line it logged
    /// before answering may arrive after the answer.
    /// </summary>
    private static Task WaitForLogAsync(ObjectStoreDaemon daemon, string text) => daemon.Process.WaitForOutputAsync(text, Patience, Cancellation);
}
