using k8s;
using k8s.Models;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;
using Microsoft.Extensions.Time.Testing;

namespace Fluid.Aspire.ControlPlane.Tests;

/// <summary>Steps that run on a schedule, or when something happens: the OnEvent policy that Fluid declares but never implemented.</summary>
public sealed class TriggerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_OnEvent_step_runs_each_time_an_object_of_its_name_is_put()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        await client.CreateDatasetAsync("events", $"local://{data.Path}", cancellationToken: Cancellation);
        var waiting = await CreateOnEventStepAsync(client, "on-new-model", "events", Flows.Step("evaluated", trace), new OnEventTrigger { ObjectPut = "model" });
        Assert.Contains("'model'", waiting, StringComparison.Ordinal);
        Assert.False(File.Exists(trace));

        await using var store = await ObjectStoreClient.ConnectAsync(cluster.ObjectStores[0].SocketPath, Cancellation);
        var first = await store.PutAsync("v1"u8.ToArray(), new PutOptions { Name = "model", Persist = true }, Cancellation);
        await Eventually.ReturnsAsync(() => File.Exists(trace) ? File.ReadAllLines(trace).Length : 0, n => n == 1, Patience, "one run after the put", Cancellation);
        await Eventually.ReturnsAsync(() => client.Store.GetAsync<DataProcess>("on-new-model", cancellationToken: Cancellation),
            p => p!.Status.Phase == OperationPhase.Complete, Patience, "the run complete", Cancellation);

        await store.DeleteAsync(first, Cancellation);
        await store.PutAsync("v2"u8.ToArray(), new PutOptions { Name = "model", Persist = true }, Cancellation);

        await Eventually.ReturnsAsync(() => File.ReadAllLines(trace).Length, n => n == 2, Patience, "a second run after the second put", Cancellation);
        var step = await Eventually.ResourceAsync<DataProcess>(client.Store, "on-new-model",
            p => p.Status.Phase == OperationPhase.Complete && p.Status.Infos.GetValueOrDefault("attempt") == "2", "its second run complete", Cancellation);
        Assert.Equal("object 'model' was put", step.Status.Infos["trigger"]);
    }

    [Fact]
    public async Task An_OnEvent_trigger_seen_just_before_the_controller_is_killed_still_fires_once_after_it_restarts()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        var open = Path.Combine(data.Path, "open");
        await client.CreateDatasetAsync("restarted", $"local://{data.Path}", cancellationToken: Cancellation);
        // The OnEvent step runs after a step that holds it back until the test opens the gate: the event is seen, and
        // can only wait for its run.
        await client.Store.CreateAsync(new DataProcess
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = Resource.DefaultNamespace, Name = "gate" },
            Spec = new DataProcessSpec
            {
                Dataset = new DatasetReference { Name = "restarted" },
                Processor = Flows.Step("gate", trace, $"while [ ! -e '{open}' ]; do sleep 0.1; done").Spec,
            },
        }, Cancellation);
        await Eventually.ResourceAsync<DataProcess>(client.Store, "gate", p => p.Status.Phase == OperationPhase.Executing, "the gate step running", Cancellation);
        await client.Store.CreateAsync(new DataProcess
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = Resource.DefaultNamespace, Name = "on-model" },
            Spec = new DataProcessSpec
            {
                Dataset = new DatasetReference { Name = "restarted" },
                Processor = Flows.Step("evaluated", trace).Spec,
                Policy = OperationPolicy.OnEvent,
                OnEvent = new OnEventTrigger { ObjectPut = "model" },
                RunAfter = new OperationReference { Kind = nameof(DataProcess), Name = "gate" },
            },
        }, Cancellation);
        await Eventually.ResourceAsync<DataProcess>(client.Store, "on-model",
            p => p.Status.Conditions.Find("Waiting")?.Reason == "WaitingForEvent", "the step waiting for its event", Cancellation);

        await using (var store = await ObjectStoreClient.ConnectAsync(cluster.ObjectStores[0].SocketPath, Cancellation))
        {
            await store.PutAsync("v1"u8.ToArray(), new PutOptions { Name = "model", Persist = true }, Cancellation);
        }

        var seen = await Eventually.ResourceAsync<DataProcess>(client.Store, "on-model",
            p => p.Status.Conditions.IsTrue("Triggered") && p.Status.Conditions.Find("Waiting")?.Reason == "WaitingForPredecessor",
            "the event recorded, the step waiting for the gate", Cancellation);
        Assert.Equal("object 'model' was put", seen.Status.Conditions.Find("Triggered")!.Message);

        // SIGKILL: nothing is handed over but what is in the store.
        cluster.Controller.Kill();
        await cluster.StartControllerAsync(Cancellation);
        await File.WriteAllTextAsync(open, "", Cancellation);

        var ran = await Eventually.ResourceAsync<DataProcess>(client.Store, "on-model", p => p.Status.Phase == OperationPhase.Complete,
            "the step run after the restart", Cancellation);
        Assert.Equal("1", ran.Status.Infos["attempt"]);
        Assert.Equal("object 'model' was put", ran.Status.Infos["trigger"]);
        Assert.Null(ran.Status.Conditions.Find("Triggered"));
        // Once, not again: nothing is left to run it a second time.
        await Task.Delay(TimeSpan.FromSeconds(1), Cancellation);
        Assert.Equal(["gate", "evaluated"], await File.ReadAllLinesAsync(trace, Cancellation));
        var after = await client.Store.GetAsync<DataProcess>("on-model", cancellationToken: Cancellation);
        Assert.Equal((OperationPhase.Complete, "1"), (after!.Status.Phase, after.Status.Infos["attempt"]));
    }

    [Fact]
    public async Task A_Cron_step_runs_on_its_schedule_by_the_controllers_clock()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation, controller: false);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var controller = await StartControllerAsync(cluster, clock);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        await client.CreateDatasetAsync("nightly", $"local://{data.Path}", cancellationToken: Cancellation);
        await client.Store.CreateAsync(new DataProcess
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = Resource.DefaultNamespace, Name = "every-hour" },
            Spec = new DataProcessSpec
            {
                Dataset = new DatasetReference { Name = "nightly" },
                Processor = Flows.Step("ran", trace).Spec,
                Policy = OperationPolicy.Cron,
                Schedule = "0 * * * *",
            },
        }, Cancellation);
        await Eventually.ReturnsAsync(() => client.Store.GetAsync<DataProcess>("every-hour", cancellationToken: Cancellation),
            p => p!.Status.Conditions.Find("Waiting")?.Reason == "Scheduled", Patience, "the step waiting for its time", Cancellation);
        Assert.False(File.Exists(trace));

        for (var run = 1; run <= 2; run++)
        {
            clock.Advance(TimeSpan.FromHours(1));
            await Eventually.ReturnsAsync(() => File.Exists(trace) ? File.ReadAllLines(trace).Length : 0, n => n == run, Patience,
                $"run {run} after the clock passed the hour", Cancellation);
            await Eventually.ReturnsAsync(() => client.Store.GetAsync<DataProcess>("every-hour", cancellationToken: Cancellation),
                p => p!.Status.Phase == OperationPhase.Complete, Patience, "the run complete", Cancellation);
        }

        await Task.Delay(TimeSpan.FromSeconds(1), Cancellation);
        Assert.Equal(2, File.ReadAllLines(trace).Length);
        var step = await client.Store.GetAsync<DataProcess>("every-hour", cancellationToken: Cancellation);
        Assert.Equal(0, step!.Status.LastScheduleTime!.Value.Minute);
        await controller.StopAsync(Cancellation);
    }

    [Fact]
    public async Task An_OnEvent_step_runs_when_its_dataset_becomes_Bound()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        var dataset = await client.CreateDatasetAsync("warming", $"local://{data.Path}", cancellationToken: Cancellation);
        var waiting = await CreateOnEventStepAsync(client, "on-bound", "warming", Flows.Step("warmed", trace),
            new OnEventTrigger { DatasetPhase = new DatasetPhaseTrigger { Name = "warming", Phase = DatasetPhase.Bound } });
        Assert.Contains("dataset warming becomes Bound", waiting, StringComparison.Ordinal);
        var unbound = await Eventually.ResourceAsync<Dataset>(client.Store, "warming", d => d.Status.Conditions.Find("Bound") is not null,
            "its Bound condition reported", Cancellation);
        Assert.Equal(DatasetPhase.NotBound, unbound.Status.Phase);
        Assert.False(File.Exists(trace));

        await dataset.BindRuntimeAsync(RuntimeKind.ObjectStore, replicas: 1, cacheCapacityGiB: 0.03125, timeout: Patience, cancellationToken: Cancellation);

        var ran = await Eventually.ReturnsAsync(() => client.Store.GetAsync<DataProcess>("on-bound", cancellationToken: Cancellation),
            p => p!.Status.Phase == OperationPhase.Complete, Patience, "the step run once the dataset was Bound", Cancellation);
        Assert.Equal("dataset warming became Bound", ran!.Status.Infos["trigger"]);
        Assert.Equal(["warmed"], await File.ReadAllLinesAsync(trace, Cancellation));
    }

    [Fact]
    public async Task A_finished_step_is_deleted_with_its_events_and_pod_ttlSecondsAfterFinished_later_by_the_controllers_clock()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation, controller: false);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var controller = await StartControllerAsync(cluster, clock);
        await using var client = Flows.Client(cluster);
        await client.CreateDatasetAsync("short-lived", cancellationToken: Cancellation);
        await client.Store.CreateAsync(new DataProcess
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = Resource.DefaultNamespace, Name = "expires" },
            Spec = new DataProcessSpec
            {
                Dataset = new DatasetReference { Name = "short-lived" },
                Processor = Processor.FromCommand("true").Spec,
                TtlSecondsAfterFinished = 3600,
            },
        }, Cancellation);
        await Eventually.ReturnsAsync(() => client.Store.GetAsync<DataProcess>("expires", cancellationToken: Cancellation),
            p => p!.Status.Phase == OperationPhase.Complete, Patience, "the step complete", Cancellation);
        Assert.Equal("Succeeded", Assert.Single(await StepPodsAsync(client)).Status.Phase);

        clock.Advance(TimeSpan.FromMinutes(59));
        await Task.Delay(TimeSpan.FromSeconds(1), Cancellation);
        Assert.NotNull(await client.Store.GetAsync<DataProcess>("expires", cancellationToken: Cancellation));
        clock.Advance(TimeSpan.FromMinutes(1));

        await Eventually.ReturnsAsync<DataProcess?>(() => client.Store.GetAsync<DataProcess>("expires", cancellationToken: Cancellation), p => p is null,
            Patience, "the step deleted an hour after it finished", Cancellation);
        await Eventually.EventsAsync(client.Kubernetes, "expires", events => events.Length == 0, "its events deleted with it", Cancellation);
        await Eventually.ReturnsAsync(() => StepPodsAsync(client), pods => pods.Count == 0, Patience, "its pod deleted with it (it owns the pod)", Cancellation);
        await controller.StopAsync(Cancellation);
    }

    private static async Task<IList<V1Pod>> StepPodsAsync(FluidClient client) =>
        (await client.Kubernetes.CoreV1.ListNamespacedPodAsync(Resource.DefaultNamespace, labelSelector: StepPodMetadata.Selector, cancellationToken: Cancellation)).Items;

    /// <summary>Creates an OnEvent step and returns what its Waiting condition says once it waits for its event.</summary>
    private static async Task<string> CreateOnEventStepAsync(FluidClient client, string name, string dataset, Processor processor, OnEventTrigger trigger)
    {
        await client.Store.CreateAsync(new DataProcess
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = Resource.DefaultNamespace, Name = name },
            Spec = new DataProcessSpec
            {
                Dataset = new DatasetReference { Name = dataset },
                Processor = processor.Spec,
                Policy = OperationPolicy.OnEvent,
                OnEvent = trigger,
            },
        }, Cancellation);
        var waiting = await Eventually.ReturnsAsync(() => client.Store.GetAsync<DataProcess>(name, cancellationToken: Cancellation),
            p => p!.Status.Conditions.Find("Waiting")?.Reason == "WaitingForEvent", Patience, "the step waiting for its event", Cancellation);
        return waiting!.Status.Conditions.Find("Waiting")!.Message!;
    }

    /// <summary>A controller in this process, on the test's clock.</summary>
    private static async Task<WebApplication> StartControllerAsync(LocalCluster cluster, TimeProvider clock)
    {
        var controller = Controller.ControllerHost.Build([], clock, new Dictionary<string, string?>
        {
            ["ConnectionStrings:fluid"] = cluster.ServiceConnectionString,
            ["urls"] = "http://127.0.0.1:0",
            ["Fluid:Controller:LeaderLeaseSeconds"] = "10",
        });
        await controller.StartAsync(Cancellation);
        return controller;
    }
}
