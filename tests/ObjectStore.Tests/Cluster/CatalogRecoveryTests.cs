using System.Net;
using System.Text;
using System.Text.Json;
using Etcdserverpb;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Cluster;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

using static Fluid.Aspire.ObjectStore.Tests.CatalogProbe;

namespace Fluid.Aspire.ObjectStore.Tests.Cluster;

/// <summary>
/// An instance that comes back after losing etcd: under the number its ids carry (or not at all), without taking
/// back a name claimed meanwhile, with its copies recorded under that number; and a persist whose answer was lost
/// is found committed when asked again.
/// </summary>
public sealed class CatalogRecoveryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_name_claimed_while_an_instance_was_cut_off_stays_with_its_new_holder()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var partition = new TcpProxy(new IPEndPoint(IPAddress.Loopback, etcd.ClientPort));
        await using var away = await ObjectStoreDaemon.StartAsync(Cancellation, node: "node-0", options: ["--etcd", partition.Url.ToString()]);
        await using var other = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1");
        await using var first = await away.ConnectAsync(Cancellation);
        await using var second = await other.ConnectAsync(Cancellation);
        var loser = await first.PutAsync("first"u8.ToArray(), new PutOptions { Name = "contested", Persist = true }, Cancellation);
        using var connection = new EtcdConnection(etcd.ConnectionString());

        partition.Cut();
        await Eventually.ReturnsAsync(() => ListAsync(connection, "/fluid/objectstore/names/contested"), kvs => kvs.Count == 0, Patience,
            "the name gone with the lease of the instance cut off", Cancellation);
        var winner = await second.PutAsync("second"u8.ToArray(), new PutOptions { Name = "contested", Persist = true }, Cancellation);
        partition.Restore();

        await away.Process.WaitForOutputAsync($"The name 'contested' was claimed by {winner}", Patience, Cancellation);
        var name = Assert.Single(await ListAsync(connection, "/fluid/objectstore/names/contested"));
        Assert.Equal(winner, Json<NameEntry>(name).Id);
        var instance = Assert.Single(await ListAsync(connection, "/fluid/objectstore/instances/0"));
        var restored = Assert.Single(await ListAsync(connection, $"/fluid/objectstore/objects/{loser}"));
        Assert.Equal(instance.Lease, restored.Lease);

        // The losing object keeps its data under its id, here and for the other instance.
        using (var local = await first.GetAsync(loser, cancellationToken: Cancellation))
        {
            Assert.Equal("first"u8.ToArray(), local.Blobs[0].Span.ToArray());
        }

        using var fetched = await Eventually.ReturnsAsync(
            async () => await Record(() => second.GetAsync(loser, new GetOptions { Fetch = true }, Cancellation)),
            result => result is ObjectHandle, Patience, "the losing object fetched by id", Cancellation) as ObjectHandle;
        Assert.Equal("first"u8.ToArray(), fetched!.Blobs[0].Span.ToArray());
        using var named = await second.GetAsync("contested", cancellationToken: Cancellation);
        Assert.Equal(winner, named.Id);
    }

    [Fact]
    public async Task A_persist_whose_answer_is_lost_is_found_committed_when_asked_again()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var network = new TcpProxy(new IPEndPoint(IPAddress.Loopback, etcd.ClientPort));
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, options: ["--etcd", network.Url.ToString()]);
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var connection = new EtcdConnection(etcd.ConnectionString());

        // The persist's transaction is the first request that carries the name's key.
        var forwarded = network.LoseAnswerToAsync(Encoding.UTF8.GetBytes("/fluid/objectstore/names/lost-answer"), Cancellation);
        var put = client.PutAsync("committed"u8.ToArray(), new PutOptions { Name = "lost-answer", Persist = true }, Cancellation);
        await forwarded;
        var name = await Eventually.ReturnsAsync(() => ListAsync(connection, "/fluid/objectstore/names/lost-answer"), kvs => kvs.Count == 1, Patience,
            "the persist committed in etcd", Cancellation);
        network.BreakSilencedConnections();
        var id = await put;

        Assert.Equal(id, Json<NameEntry>(name[0]).Id);
        await daemon.Process.WaitForOutputAsync($"The answer to persisting {id} was lost; etcd has it committed", Patience, Cancellation);
        var meta = Assert.Single(await ListAsync(connection, $"/fluid/objectstore/objects/{id}"));
        var instance = Assert.Single(await ListAsync(connection, "/fluid/objectstore/instances/"));
        Assert.Equal(instance.Lease, meta.Lease);
        using var handle = await client.GetAsync("lost-answer", cancellationToken: Cancellation);
        Assert.Equal(id, handle.Id);
        Assert.Equal("committed"u8.ToArray(), handle.Blobs[0].Span.ToArray());
        Assert.Equal(1, (await client.GetStatsAsync(Cancellation)).Objects);
    }

    [Fact]
    public async Task A_persist_given_up_without_an_answer_is_withdrawn_once_etcd_is_back()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var network = new TcpProxy(new IPEndPoint(IPAddress.Loopback, etcd.ClientPort));
        // A lease that outlives the outage, so that what the lost transaction wrote would stay but for the withdrawal.
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, leaseTtlSeconds: 10, options: ["--etcd", network.Url.ToString()]);
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var connection = new EtcdConnection(etcd.ConnectionString());

        var forwarded = network.LoseAnswerToAsync(Encoding.UTF8.GetBytes("/fluid/objectstore/names/unanswered"), Cancellation);
        var put = client.PutAsync("ghost"u8.ToArray(), new PutOptions { Name = "unanswered", Persist = true }, Cancellation);
        await forwarded;
        await Eventually.ReturnsAsync(() => ListAsync(connection, "/fluid/objectstore/names/unanswered"), kvs => kvs.Count == 1, Patience,
            "the persist committed in etcd", Cancellation);
        await etcd.KillAsync();
        var failed = await Assert.ThrowsAsync<ObjectStoreException>(() => put);
        Assert.Equal(ObjectStoreErrorCode.Unavailable, failed.Code);
        Assert.Equal(0, (await client.GetStatsAsync(Cancellation)).Objects);
        await etcd.RestartAsync(Cancellation);

        // Either the lease outlived the outage and the catalog withdraws what the lost persist wrote, or the lease
        // expired meanwhile (a slow restart on a loaded machine) and took it along: no ghost is left either way.
        await Eventually.ReturnsAsync(
            async () => (await ListAsync(connection, "/fluid/objectstore/objects/")).Count + (await ListAsync(connection, "/fluid/objectstore/names/")).Count,
            left => left == 0, Patience, "no object or name left by the persist given up", Cancellation);
        if (daemon.Process.Output.Contains("Resumed as object store instance 0", StringComparison.Ordinal))
        {
            await daemon.Process.WaitForOutputAsync("Withdrew ", Patience, Cancellation);
        }
    }

    [Fact]
    public async Task After_an_etcd_outage_instances_keep_their_numbers_and_their_copies_stay_recorded_under_them()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        // A lease that outlives the outage, as in production, where the TTL is longer than an etcd restart.
        await using var owner = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-0", leaseTtlSeconds: 10);
        await using var other = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1", leaseTtlSeconds: 10);
        await using var producer = await owner.ConnectAsync(Cancellation);
        await using var consumer = await other.ConnectAsync(Cancellation);
        var id = await producer.PutAsync(new byte[1000], new PutOptions { Name = "kept", Persist = true }, Cancellation);
        using (await consumer.GetAsync(id, new GetOptions { Fetch = true }, Cancellation))
        {
        }

        await etcd.KillAsync();
        await owner.Process.WaitForOutputAsync("registering again", Patience, Cancellation);
        await other.Process.WaitForOutputAsync("registering again", Patience, Cancellation);
        await etcd.RestartAsync(Cancellation);
        foreach (var daemon in new[] { owner, other })
        {
            await Eventually.ReturnsAsync(() => Occurrences(daemon.Process.Output, "as object store instance"), count => count >= 2, Patience,
                $"{daemon.Node} registered again", Cancellation);
        }

        using var connection = new EtcdConnection(etcd.ConnectionString());
        var instances = await ListAsync(connection, "/fluid/objectstore/instances/");
        var records = instances.Select(Json<InstanceRecord>).ToArray();
        Assert.Equal([(0, "node-0"), (1, "node-1")], records.Select(r => (r.Instance, r.Node)).OrderBy(r => r.Instance));
        Assert.Equal(0, (await producer.GetStatsAsync(Cancellation)).Instance);
        Assert.Equal(1, (await consumer.GetStatsAsync(Cancellation)).Instance);
        var meta = Assert.Single(await ListAsync(connection, $"/fluid/objectstore/objects/{id}"));
        Assert.Equal(instances[0].Lease, meta.Lease);
        var replica = Assert.Single(await ListAsync(connection, $"/fluid/objectstore/replicas/{id}/"));
        Assert.Equal($"/fluid/objectstore/replicas/{id}/1", replica.Key.ToStringUtf8());
        Assert.Equal(instances[1].Lease, replica.Lease);
    }

    [Fact]
    public async Task An_instance_whose_number_was_taken_while_it_was_cut_off_stays_out_rather_than_take_another()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var partition = new TcpProxy(new IPEndPoint(IPAddress.Loopback, etcd.ClientPort));
        await using var away = await ObjectStoreDaemon.StartAsync(Cancellation, node: "node-0", options: ["--etcd", partition.Url.ToString()]);
        await using var client = await away.ConnectAsync(Cancellation);
        var id = await client.PutAsync("mine"u8.ToArray(), new PutOptions { Persist = true }, Cancellation);
        using var connection = new EtcdConnection(etcd.ConnectionString());

        partition.Cut();
        await Eventually.ReturnsAsync(() => ListAsync(connection, "/fluid/objectstore/instances/"), kvs => kvs.Count == 0, Patience,
            "the lease of the instance cut off expired", Cancellation);
        await using var newcomer = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1");
        await using var newClient = await newcomer.ConnectAsync(Cancellation);
        Assert.Equal(0, (await newClient.GetStatsAsync(Cancellation)).Instance);
        partition.Restore();

        await away.Process.WaitForOutputAsync("Instance number 0 was taken by node node-1", Patience, Cancellation);
        var holder = Json<InstanceRecord>(Assert.Single(await ListAsync(connection, "/fluid/objectstore/instances/")));
        Assert.Equal((0, "node-1"), (holder.Instance, holder.Node));
        Assert.Empty(await ListAsync(connection, $"/fluid/objectstore/objects/{id}"));
        Assert.Equal(0, (await client.GetStatsAsync(Cancellation)).Instance);
        var refused = await Assert.ThrowsAsync<ObjectStoreException>(
            () => client.PutAsync("more"u8.ToArray(), new PutOptions { Persist = true }, Cancellation));
        Assert.Equal(ObjectStoreErrorCode.Unavailable, refused.Code);
        Assert.Contains("taken by node node-1", refused.Message, StringComparison.Ordinal);
        using var local = await client.GetAsync(id, cancellationToken: Cancellation);
        Assert.Equal("mine"u8.ToArray(), local.Blobs[0].Span.ToArray());
    }

    private static int Occurrences(string text, string part) =>
        text.Split(part).Length - 1;

    private static T Json<T>(Mvccpb.KeyValue kv) => JsonSerializer.Deserialize<T>(kv.Value.Span, ClusterJson.Options)!;
}
