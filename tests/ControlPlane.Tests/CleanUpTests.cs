using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
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
        await Eventually.ReturnsAsync(() => StoredResources.KeysAsync(cluster.Etcd.ConnectionString(), Cancellation), keys => keys.Length == 0, Patience,
            "nothing left in etcd, events included", Cancellation);
    }

    [Fact]
    public async Task A_dataset_being_deleted_waits_for_its_steps_and_the_events_of_what_was_deleted_go_with_it()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        var dataset = await client.CreateDatasetAsync("held", cancellationToken: Cancellation);
        await (await dataset.Process(Sdk.Processor.FromCommand("true")).RunAsync("held", Cancellation)).WaitAsync(Patience, Cancellation);
        var step = (await client.Store.GetAsync<DataProcess>("held-step0", cancellationToken: Cancellation))!;
        step.Metadata.Finalizers.Add("example.com/hold");
        await client.Store.UpdateAsync(step, Cancellation);

        await dataset.CleanUpAsync(wait: false, cancellationToken: Cancellation);

        var held = await Eventually.ReturnsAsync(() => client.Store.GetAsync<DataProcess>("held-step0", cancellationToken: Cancellation),
            s => s!.Metadata.DeletionTimestamp is not null && s.Metadata.Finalizers.SequenceEqual(["example.com/hold"]), Patience,
            "the step marked for deletion and let go by the controller", Cancellation);
        await Eventually.EventsAsync(client.Kubernetes, "held", events => events.Any(e => e.Reason == "CleaningUp"), "the dataset waiting for its step", Cancellation);
        var waiting = await client.Store.GetAsync<Dataset>("held", cancellationToken: Cancellation);
        Assert.NotNull(waiting?.Metadata.DeletionTimestamp);
        await Eventually.EventsAsync(client.Kubernetes, "held-step0", events => events.Any(e => e.Reason == "Completed"), "the step's Completed event", Cancellation);

        held!.Metadata.Finalizers.Clear();
        await client.Store.UpdateAsync(held, Cancellation);

        await Eventually.ReturnsAsync<Dataset?>(() => client.Store.GetAsync<Dataset>("held", cancellationToken: Cancellation), d => d is null, Patience,
            "the dataset gone once its step is", Cancellation);
        await Eventually.ReturnsAsync(() => StoredResources.KeysAsync(cluster.Etcd.ConnectionString(), Cancellation), keys => keys.Length == 0, Patience,
            "the events of the dataset and its step deleted with them", Cancellation);
    }
}
