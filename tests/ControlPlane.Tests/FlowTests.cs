using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.ControlPlane.Tests;

/// <summary>Flows run by the real controller on a real cluster: order, placement, failure, status and events.</summary>
public sealed class FlowTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_three_step_flow_runs_in_order_each_step_next_to_the_one_before()
    {
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        var dataset = await Flows.BoundDatasetAsync(client, "housing", data, Cancellation);
        Assert.Equal(DatasetPhase.Bound, dataset.Phase);
        Assert.Equal("8 B", dataset.Resource.Status.UfsTotal?.Replace("B", " B", StringComparison.Ordinal).Replace("  ", " ", StringComparison.Ordinal) ?? "8 B");
        Assert.Equal("0.0%", dataset.Resource.Status.CacheStates?.CachedPercentage);

        var run = await dataset.Process(Flows.Step("preprocess", trace, "test -f rows.csv && test \"$PWD\" = \"$FLUID_DATASET_PATH\""))
            .Process(Flows.Step("train", trace))
            .Process(Flows.Step("test", trace))
            .RunAsync("r1", Cancellation);
        var reports = await run.WaitAsync(StepTimeout, Cancellation);

        Assert.Equal(["r1-step0", "r1-step1", "r1-step2"], reports.Select(r => r.Name));
        Assert.All(reports, r => Assert.Equal(OperationPhase.Complete, r.Phase));
        Assert.Equal(["preprocess", "train", "test"], await File.ReadAllLinesAsync(trace, Cancellation));
        Assert.Single(reports.Select(r => r.Node).Distinct());
        var second = (await client.Store.GetAsync<DataProcess>("r1-step1", cancellationToken: Cancellation))!;
        Assert.Equal("r1", second.Metadata.Labels["fluid.io/run"]);
        Assert.Equal(reports[0].Node, second.Status.Scheduling!.Node);
        Assert.Contains(second.Status.Scheduling.Scores[0].Reasons, r => r.Contains("previous step", StringComparison.Ordinal));
        Assert.Equal(0, second.Status.ExitCode);
        Assert.NotNull(second.Status.LastSuccessfulTime);
        // Completed is recorded just after the status it reports: waited for, not read once.
        await Eventually.EventsAsync(client.Kubernetes, "r1-step1", events => events.Any(e => e.Reason == "Scheduled") && events.Any(e => e.Reason == "Completed"),
            "Scheduled and Completed", Cancellation);
    }

    [Fact]
    public async Task A_failed_step_fails_the_steps_after_it_and_the_run_reports_its_reason_and_log()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        var dataset = await client.CreateDatasetAsync("fails", $"local://{data.Path}", cancellationToken: Cancellation);

        var run = await dataset.Process(Flows.Step("first", trace))
            .Process(Processor.FromCommand("bash", ["-c", "echo 'the model did not converge' >&2; exit 3"]))
            .Process(Flows.Step("never", trace))
            .RunAsync("bad", Cancellation);
        var failure = await Assert.ThrowsAsync<FlowFailedException>(() => run.WaitAsync(StepTimeout, Cancellation));

        Assert.Equal("bad-step1", failure.Step.Name);
        Assert.Contains("exited with code 3", failure.Message, StringComparison.Ordinal);
        Assert.Contains("the model did not converge", failure.Message, StringComparison.Ordinal);
        var reports = await Eventually.ReturnsAsync(() => run.GetStatusAsync(Cancellation), r => r[2].Phase == OperationPhase.Failed,
            StepTimeout, "the step after the failed one failed too", Cancellation);
        Assert.Contains("bad-step1", reports[2].Reason, StringComparison.Ordinal);
        Assert.Equal(["first"], await File.ReadAllLinesAsync(trace, Cancellation));
        Assert.Equal(3, (await client.Store.GetAsync<DataProcess>("bad-step1", cancellationToken: Cancellation))!.Status.ExitCode);
    }

    [Fact]
    public async Task A_failed_step_runs_again_with_the_steps_that_failed_because_of_it()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var ready = Path.Combine(data.Path, "ready");
        var dataset = await client.CreateDatasetAsync("again", $"local://{data.Path}", cancellationToken: Cancellation);
        var run = await dataset.Process(Processor.FromCommand("test", ["-f", ready]))
            .Process(Processor.FromCommand("true"))
            .RunAsync("again", Cancellation);
        await Assert.ThrowsAsync<FlowFailedException>(() => run.WaitAsync(StepTimeout, Cancellation));
        await Eventually.ReturnsAsync(() => run.GetStatusAsync(Cancellation), r => r[1].Phase == OperationPhase.Failed,
            StepTimeout, "the step after the failed one failed too", Cancellation);
        var first = (await client.Store.GetAsync<DataProcess>("again-step0", cancellationToken: Cancellation))!;

        await File.WriteAllTextAsync(ready, "", Cancellation);
        var again = await client.RerunAsync("again-step0", cancellationToken: Cancellation);
        var reports = await again.WaitAsync(StepTimeout, Cancellation);

        Assert.Equal(["again-step0", "again-step1"], reports.Select(r => r.Name));
        Assert.All(reports, r => Assert.Equal(OperationPhase.Complete, r.Phase));
        var second = (await client.Store.GetAsync<DataProcess>("again-step0", cancellationToken: Cancellation))!;
        Assert.NotEqual(first.Metadata.Uid, second.Metadata.Uid);
        Assert.Equal(first.Spec.Processor!.Command!.Args, second.Spec.Processor!.Command!.Args);
        Assert.NotEqual(first.Metadata.Annotations[FlowLabels.TraceParentAnnotation], second.Metadata.Annotations[FlowLabels.TraceParentAnnotation]);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => client.RerunAsync("again-step0", cancellationToken: Cancellation));
        Assert.Contains("is Complete; only a failed step runs again", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_step_runs_as_a_pod_with_its_requests_where_they_fit_and_one_no_node_can_hold_waits_with_the_reason()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        await client.CreateDatasetAsync("sized", $"local://{data.Path}", cancellationToken: Cancellation);
        DataProcess Step(string name, string cpu) => new()
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = Resource.DefaultNamespace, Name = name },
            Spec = new DataProcessSpec
            {
                Dataset = new DatasetReference { Name = "sized" },
                Processor = Flows.Step(name, trace).Spec,
                Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new("64Mi") } },
            },
        };

        await client.Store.CreateAsync(Step("fits", "100m"), Cancellation);
        await client.Store.CreateAsync(Step("too-big", "10000"), Cancellation);

        var ran = await Eventually.ResourceAsync<DataProcess>(client.Store, "fits", p => p.Status.Phase == OperationPhase.Complete, "the step that fits complete", Cancellation);
        var waiting = await Eventually.ResourceAsync<DataProcess>(client.Store, "too-big",
            p => p.Status.Conditions.Find(OperationConditions.Waiting)?.Reason == "Unschedulable", "the step no node can hold waiting", Cancellation);
        var pods = await client.Kubernetes.CoreV1.ListNamespacedPodAsync(Resource.DefaultNamespace, labelSelector: StepPodMetadata.Selector, cancellationToken: Cancellation);
        var pod = Assert.Single(pods.Items);

        Assert.Equal(["fits"], await File.ReadAllLinesAsync(trace, Cancellation));
        Assert.Equal("fits", pod.GetAnnotation(StepPodMetadata.StepAnnotation));
        Assert.Equal(ran.Status.NodeName, pod.Spec.NodeName);
        Assert.Equal("Succeeded", pod.Status.Phase);
        Assert.Equal("100m", pod.Spec.Containers[0].Resources.Requests["cpu"].ToString());
        Assert.Equal(OperationPhase.Pending, waiting.Status.Phase ?? OperationPhase.Pending);
        Assert.Contains("insufficient cpu (requests 10000,", waiting.Status.Conditions.Find(OperationConditions.Waiting)!.Message, StringComparison.Ordinal);
        Assert.Contains("lower the step's resources.requests", waiting.Status.Conditions.Find(OperationConditions.Waiting)!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_step_waiting_for_room_runs_as_soon_as_the_step_holding_it_ends()
    {
        // No periodic retry within the test: only the end of the first step can start the second.
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation,
            controllerSettings: new Dictionary<string, string> { ["Fluid__Controller__UnschedulableRetrySeconds"] = "3600" });
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        var go = Path.Combine(data.Path, "go");
        await client.CreateDatasetAsync("room", $"local://{data.Path}", cancellationToken: Cancellation);
        // The node's kubelet publishes what it can give pods shortly after it has registered.
        var allocatable = await Eventually.ReturnsAsync<ResourceQuantity?>(
            async () => (await client.Kubernetes.CoreV1.ReadNodeAsync("node-0", cancellationToken: Cancellation)).Status?.Allocatable is { } node
                && node.TryGetValue("cpu", out var cpu) ? cpu : null,
            cpu => cpu is not null, TimeSpan.FromSeconds(60), "node-0's allocatable cpu", Cancellation);
        var node = allocatable!.ToDecimal();
        // Each asks for more than half of the node's CPUs: the second fits only once the first has ended.
        var cpu = new ResourceQuantity($"{(long)(node * 600)}m");
        DataProcess Step(string name, string script) => new()
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = Resource.DefaultNamespace, Name = name },
            Spec = new DataProcessSpec
            {
                Dataset = new DatasetReference { Name = "room" },
                Processor = Flows.Step(name, trace, script).Spec,
                Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = cpu } },
            },
        };

        await client.Store.CreateAsync(Step("holder", $"while [ ! -f '{go}' ]; do sleep 0.1; done"), Cancellation);
        await Eventually.ResourceAsync<DataProcess>(client.Store, "holder", p => p.Status.Phase == OperationPhase.Executing, "the first step running", Cancellation);
        await client.Store.CreateAsync(Step("waiter", ""), Cancellation);
        var waiting = await Eventually.ResourceAsync<DataProcess>(client.Store, "waiter",
            p => p.Status.Conditions.Find(OperationConditions.Waiting)?.Reason == "Unschedulable", "the second step waiting for room", Cancellation);
        await File.WriteAllTextAsync(go, "", Cancellation);

        await Eventually.ResourceAsync<DataProcess>(client.Store, "waiter", p => p.Status.Phase == OperationPhase.Complete, "the second step complete", Cancellation);
        Assert.Contains("insufficient cpu", waiting.Status.Conditions.Find(OperationConditions.Waiting)!.Message, StringComparison.Ordinal);
        Assert.Equal(["holder", "waiter"], await File.ReadAllLinesAsync(trace, Cancellation));
    }

    [Fact]
    public async Task A_runtime_that_no_node_can_hold_leaves_the_dataset_not_bound_with_the_reason()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        var dataset = await client.CreateDatasetAsync("too-big", cancellationToken: Cancellation);

        await dataset.BindRuntimeAsync(replicas: 1, cacheCapacityGiB: 4, wait: false, cancellationToken: Cancellation);

        // Before the refusal the runtime may report what it has not seen yet (the dataset, the node's object store):
        // the refusal itself is the state waited for.
        var runtime = await Eventually.ResourceAsync<ObjectStoreRuntime>(client.Store, "too-big",
            r => ReadyMessage(r).Contains("less than the quota of 4GiB", StringComparison.Ordinal),
            "its worker refused because the node's object store holds less than the quota", Cancellation);
        Assert.Equal(RuntimePhase.NotReady, runtime.Status.Phase);
        var notBound = await Eventually.ResourceAsync<Dataset>(client.Store, "too-big", d => d.Status.Conditions.Find("Bound")?.Reason == "RuntimeNotReady",
            "its Bound condition following the runtime", Cancellation);
        Assert.Equal(DatasetPhase.NotBound, notBound.Status.Phase);
        // The runtime has reported, so the SDK's wait gives up with its reason, whatever the time it took to report.
        var error = await Assert.ThrowsAsync<TimeoutException>(() => dataset.WaitUntilBoundAsync(TimeSpan.FromSeconds(1), Cancellation));
        Assert.Contains("less than the quota of 4GiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_datasets_nodeAffinity_decides_which_nodes_get_runtime_workers()
    {
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);
        await using var client = Flows.Client(cluster);
        var zoneB = new NodeAffinity
        {
            Required = new k8s.Models.V1NodeSelector
            {
                NodeSelectorTerms = [NodeSelectors.Term(NodeSelectors.Requirement("topology.kubernetes.io/zone", NodeSelectorOperators.In, "zone-b"))],
            },
        };
        var dataset = await client.CreateDatasetAsync("in-zone-b", options: new DatasetOptions { NodeAffinity = zoneB }, cancellationToken: Cancellation);

        await dataset.BindRuntimeAsync(RuntimeKind.ObjectStore, replicas: 2, cacheCapacityGiB: 0.03125, wait: false, cancellationToken: Cancellation);

        var runtime = await Eventually.ResourceAsync<ObjectStoreRuntime>(client.Store, "in-zone-b", r => r.Status.CurrentWorkers == 1 && SawEveryObjectStore(r),
            "one worker placed, with both nodes' object stores seen", Cancellation);
        Assert.Equal(["node-1"], runtime.Status.Workers.Select(w => w.Node));
        Assert.Contains("node-0 does not match the dataset's nodeAffinity", ReadyMessage(runtime), StringComparison.Ordinal);
        // The dataset's own reconcile writes its phase once it has seen the runtime: waited for on the dataset.
        var notBound = await Eventually.ResourceAsync<Dataset>(client.Store, "in-zone-b",
            d => d.Status.Conditions.Find("Bound")?.Message?.Contains("1 of 2 worker(s) placed", StringComparison.Ordinal) == true,
            "its Bound condition following the runtime's one worker", Cancellation);
        Assert.Equal(DatasetPhase.NotBound, notBound.Status.Phase);
    }

    [Fact]
    public async Task Bad_input_is_refused_with_the_field_and_nothing_is_left_half_created()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);

        var badName = await Assert.ThrowsAsync<Contracts.Validation.ResourceInvalidException>(() => client.CreateDatasetAsync("Not_A_Name", cancellationToken: Cancellation));
        Assert.Contains("metadata.name", badName.Message, StringComparison.Ordinal);
        var badMount = await Assert.ThrowsAsync<Contracts.Validation.ResourceInvalidException>(() => client.CreateDatasetAsync("ok", "ftp://x", cancellationToken: Cancellation));
        Assert.Contains("spec.mounts[0].mountPoint", badMount.Message, StringComparison.Ordinal);

        var dataset = await client.CreateDatasetAsync("ok", cancellationToken: Cancellation);
        var longId = new string('r', 60);
        var badRun = await Assert.ThrowsAsync<Contracts.Validation.ResourceInvalidException>(() =>
            dataset.Process(Processor.FromCommand("true")).Process(Processor.FromCommand("true")).RunAsync(longId, Cancellation));
        Assert.Contains("metadata.name", badRun.Message, StringComparison.Ordinal);
        Assert.Empty((await client.Store.ListAsync<DataProcess>(cancellationToken: Cancellation)).Items);
        Assert.Throws<ArgumentException>(() => Processor.FromMethod(context => Task.CompletedTask));
        await Assert.ThrowsAsync<Contracts.Store.ResourceNotFoundException>(() => client.GetDatasetAsync("missing", Cancellation));
    }

    [Fact]
    public async Task On_a_node_that_runs_containers_a_step_needs_an_image_and_its_pod_carries_it()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation, controller: false);
        using var kubernetes = cluster.ApiServer.CreateKubernetes();
        // node-0 as a cluster's node: its kubelet runs images (this one, the cache agent, refuses them, as it says).
        // Once both of its daemons have registered, none labels the Node again.
        await Eventually.ReturnsAsync(() => Cluster.Membership.ClusterNode.ReadAsync(kubernetes, "default", DateTimeOffset.UtcNow, cancellationToken: Cancellation),
            nodes => nodes.Count == 1 && nodes[0].Ready, TimeSpan.FromSeconds(60), "node-0 with both daemons", Cancellation);
        await kubernetes.CoreV1.PatchNodeAsync(new V1Patch(new { metadata = new { labels = new Dictionary<string, string> { [Cluster.Membership.NodeLabels.Simulated] = "false" } } },
            V1Patch.PatchType.MergePatch), "node-0", cancellationToken: Cancellation);
        await cluster.StartControllerAsync(Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var dataset = await client.CreateDatasetAsync("images", $"local://{data.Path}", cancellationToken: Cancellation);

        var withoutImage = await Assert.ThrowsAsync<Sdk.FlowFailedException>(async () =>
            await (await dataset.Process(Processor.FromCommand("true")).RunAsync("bare", Cancellation)).WaitAsync(StepTimeout, Cancellation));
        var withImage = await Assert.ThrowsAsync<Sdk.FlowFailedException>(async () =>
            await (await dataset.Process(Processor.FromCommand("true", image: "registry.example/tools:1")).RunAsync("boxed", Cancellation)).WaitAsync(StepTimeout, Cancellation));
        var pod = Assert.Single((await kubernetes.CoreV1.ListPodForAllNamespacesAsync(labelSelector: "fluid.io/run=boxed", cancellationToken: Cancellation)).Items);

        Assert.Contains("spec.processor.command.image is empty, and node node-0 runs steps as containers", withoutImage.Message, StringComparison.Ordinal);
        Assert.Empty((await kubernetes.CoreV1.ListPodForAllNamespacesAsync(labelSelector: "fluid.io/run=bare", cancellationToken: Cancellation)).Items);
        Assert.Equal("registry.example/tools:1", pod.Spec.Containers[0].Image);
        // Its dataset is the node's directory at /data, where it works.
        Assert.Equal("/data", pod.Spec.Containers[0].WorkingDir);
        Assert.Contains(pod.Spec.Volumes, v => v.HostPath?.Path == data.Path);
        Assert.Equal("/data", pod.Spec.Containers[0].Env.Single(v => v.Name == "FLUID_DATASET_PATH").Value);
        Assert.Contains("could not start: spec.containers[0].image is registry.example/tools:1", withImage.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_method_step_runs_in_the_image_its_program_runs_in()
    {
        var onLaptop = Processor.FromMethod(NothingAsync);
        Environment.SetEnvironmentVariable(MethodProcessor.ProgramImageVariable, "registry.example/housing:1.4");
        try
        {
            var inCluster = Processor.FromMethod(NothingAsync);
            var otherProgram = Processor.FromMethod(NothingAsync, program: "/opt/steps/Steps.dll");

            Assert.Null(onLaptop.Spec.Method!.Image);
            Assert.Equal("registry.example/housing:1.4", inCluster.Spec.Method!.Image);
            Assert.Null(otherProgram.Spec.Method!.Image);
        }
        finally
        {
            Environment.SetEnvironmentVariable(MethodProcessor.ProgramImageVariable, null);
        }
    }

    private static Task NothingAsync(StepContext context) => Task.CompletedTask;

    private static string ReadyMessage(ObjectStoreRuntime runtime) => runtime.Status.Conditions.Find("Ready")?.Message ?? "";

    /// <summary>
    /// Whether the runtime's status reflects every node's object store. The controller follows nodes and object
    /// stores with two watches: until it has seen a node's object store, the runtime reports the node for that.
    /// </summary>
    private static bool SawEveryObjectStore(ObjectStoreRuntime runtime) =>
        ReadyMessage(runtime) is { Length: > 0 } message && !message.Contains("runs no object store", StringComparison.Ordinal);
}
