using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Controller.ObjectStores;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Rpc;
using Fluid.Aspire.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Aspire.Controller.Tests.ObjectStores;

/// <summary>The controller's calls into a real object store that requires the cluster's token.</summary>
public sealed class ObjectStoreViewTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_datasets_objects_are_deleted_in_as_many_batches_as_they_need_and_no_others()
    {
        using var secrets = new TemporaryDirectory();
        var tokenFile = Path.Combine(secrets.Path, "token");
        await ObjectStoreToken.Generate().WriteFileAsync(tokenFile, Cancellation);
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, options: ["--token-file", tokenFile]);
        await using var store = await daemon.ConnectAsync(Cancellation);
        // More than the 1000 objects of one batch.
        await PutLabelledAsync(store, 2345, "a");
        await PutLabelledAsync(store, 3, "b");
        using var connection = new EtcdConnection(etcd.ConnectionString());
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(ObjectStoreToken.FileSetting, tokenFile)]).Build();
        using var view = new ObjectStoreView(connection, configuration, NullLogger<ObjectStoreView>.Instance);
        await view.StartAsync(Cancellation);
        await Eventually.ReturnsAsync(() => view.Instances.Count, count => count == 1, Eventually.Patience, "the instance seen by the controller", Cancellation);

        var deleted = await view.DeleteLabelledAsync("dataset", "a", Cancellation);

        Assert.Equal(2345, deleted);
        Assert.Equal(3, (await store.ListAsync(cancellationToken: Cancellation)).Objects.Count);
        await view.StopAsync(Cancellation);
    }

    private static async Task PutLabelledAsync(ObjectStoreClient client, int count, string dataset)
    {
        var labels = new Dictionary<string, string> { ["dataset"] = dataset };
        for (var i = 0; i < count; i++)
        {
            await client.PutAsync(new byte[8], new PutOptions { Labels = labels }, Cancellation);
        }
    }
}
