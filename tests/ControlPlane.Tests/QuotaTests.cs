using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ControlPlane.Tests;

/// <summary>
/// A runtime's MEM quota, reserved by the controller in each worker's object store: it caps the dataset's objects
/// there, and the dataset's cacheStates count only its own objects.
/// </summary>
public sealed class QuotaTests
{
    private const int MiB = 1024 * 1024;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_bound_dataset_is_capped_at_its_quota_on_each_worker_and_its_cache_states_count_only_its_own_objects()
    {
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        await Flows.BoundDatasetAsync(client, "housing", data, Cancellation);
        await using var first = await ObjectStoreClient.ConnectAsync(cluster.ObjectStores[0].SocketPath, Cancellation);
        await using var second = await ObjectStoreClient.ConnectAsync(cluster.ObjectStores[1].SocketPath, Cancellation);

        await first.PutAsync(new byte[3 * MiB], Labelled("default.housing"), Cancellation);
        await second.PutAsync(new byte[MiB], Labelled("default.housing"), Cancellation);
        await first.PutAsync(new byte[2 * MiB], Labelled("default.other"), Cancellation);
        await second.PutAsync(new byte[5 * MiB], cancellationToken: Cancellation);
        var beyondQuota = await Assert.ThrowsAsync<NotEnoughMemoryException>(() => first.PutAsync(new byte[30 * MiB], Labelled("default.housing"), Cancellation));

        Assert.Contains("dataset default.housing has a quota of 32 MiB", beyondQuota.Message, StringComparison.Ordinal);
        var dataset = await Eventually.ResourceAsync<Dataset>(client.Store, "housing", d => d.Status.CacheStates?.Cached == "4MiB",
            "cacheStates.cached counting the dataset's 4 MiB of objects only", Cancellation);
        Assert.Equal("64MiB", dataset.Status.CacheStates!.CacheCapacity);
        var runtime = (await client.Store.GetAsync<ObjectStoreRuntime>("housing", cancellationToken: Cancellation))!;
        Assert.Equal([3L * MiB, MiB], runtime.Status.Workers.Select(w => w.MemoryUsed));
    }

    private static PutOptions Labelled(string dataset) =>
        new() { Labels = new Dictionary<string, string> { ["fluid.io/dataset"] = dataset } };
}
