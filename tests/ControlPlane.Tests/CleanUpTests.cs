using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ControlPlane.Tests;

/// <summary>Cleaning up a dataset removes everything it owns, from etcd and from every object store.</summary>
public sealed class CleanUpTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Cleaning_up_a_dataset_deletes_its_runtime_its_steps_and_the_objects_its_steps_put()
    {
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var dataset = await Flows.BoundDatasetAsync(client, "scratch", data, Cancellation);
        await (await dataset.Process(Sdk.Processor.FromCommand("true")).RunAsync("once", Cancellation)).WaitAsync(Patience, Cancellation);
        var owned = new PutOptions
        {
            Persist = true,
            Labels = new Dictionary<string, string> { ["fluid.io/dataset"] = "default.scratch" },
        };
        await using var first = await ObjectStoreClient.ConnectAsync(cluster.ObjectStores[0].SocketPath, Cancellation);
        await using var second = await ObjectStoreClient.ConnectAsync(cluster.ObjectStores[1].SocketPath, Cancellation);
        await first.PutAsync(new byte[1000], owned with { Name = "x_train" }, Cancellation);
        await second.PutAsync(new byte[1000], owned with { Name = "model" }, Cancellation);
        await second.PutAsync(new byte[1000], new PutOptions { Name = "someone-elses" }, Cancellation);

        await dataset.CleanUpAsync(wait: true, TimeSpan.FromSeconds(60), Cancellation);

        Assert.Empty((await client.Store.ListAsync<DataProcess>(cancellationToken: Cancellation)).Items);
        Assert.Empty((await client.Store.ListAsync<ObjectStoreRuntime>(cancellationToken: Cancellation)).Items);
        Assert.Equal(0, (await first.GetStatsAsync(Cancellation)).Objects);
        var remaining = await second.ListAsync(cancellationToken: Cancellation);
        Assert.Equal(["someone-elses"], remaining.Objects.SelectMany(o => o.Names));
        using var etcd = new EtcdConnection(cluster.Etcd.ConnectionString());
        var keys = await etcd.KeyValue.RangeAsync(new RangeRequest
        {
            Key = EtcdKeys.ToBytes("/fluid/resources/data.fluid-aspire.io/"),
            RangeEnd = EtcdKeys.PrefixRangeEnd("/fluid/resources/data.fluid-aspire.io/"),
            KeysOnly = true,
        }, cancellationToken: Cancellation);
        Assert.Empty(keys.Kvs.Select(kv => kv.Key.ToStringUtf8()));
    }
}
