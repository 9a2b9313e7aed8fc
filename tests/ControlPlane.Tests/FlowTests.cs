using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;

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

        var run = await dataset.Process(Flows.Step("preprocess", trace, "test -f \"$FLUID_DATASET_PATH/rows.csv\""))
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
        var events = (await client.Store.ListAsync<Event>(cancellationToken: Cancellation)).Items
            .Where(e => e.InvolvedObject.Name == "r1-step1").Select(e => e.Reason).ToArray();
        Assert.Contains("Scheduled", events);
        Assert.Contains("Completed", events);
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
    public async Task A_runtime_that_no_node_can_hold_leaves_the_dataset_not_bound_with_the_reason()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        var dataset = await client.CreateDatasetAsync("too-big", cancellationToken: Cancellation);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => dataset.BindRuntimeAsync(replicas: 1, cacheCapacityGiB: 4,
            timeout: TimeSpan.FromSeconds(8), cancellationToken: Cancellation));

        Assert.Contains("less than the quota of 4 GiB", error.Message.Replace("4GiB", "4 GiB", StringComparison.Ordinal), StringComparison.Ordinal);
        var runtime = await client.Store.GetAsync<ObjectStoreRuntime>("too-big", cancellationToken: Cancellation);
        Assert.Equal(RuntimePhase.NotReady, runtime!.Status.Phase);
        Assert.Equal(DatasetPhase.NotBound, (await dataset.RefreshAsync(Cancellation)).Phase);
    }

    [Fact]
    public async Task A_datasets_nodeAffinity_decides_which_nodes_get_runtime_workers()
    {
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);
        await using var client = Flows.Client(cluster);
        var zoneB = new NodeAffinity
        {
            Required = new NodeSelector
            {
                NodeSelectorTerms =
                {
                    new NodeSelectorTerm
                    {
                        MatchExpressions = { new NodeSelectorRequirement { Key = "topology.kubernetes.io/zone", Operator = NodeSelectorOperator.In, Values = { "zone-b" } } },
                    },
                },
            },
        };
        var dataset = await client.CreateDatasetAsync("in-zone-b", options: new DatasetOptions { NodeAffinity = zoneB }, cancellationToken: Cancellation);

        await dataset.BindRuntimeAsync(RuntimeKind.ObjectStore, replicas: 2, cacheCapacityGiB: 0.03125, wait: false, cancellationToken: Cancellation);

        var runtime = await Eventually.ReturnsAsync(() => client.Store.GetAsync<ObjectStoreRuntime>("in-zone-b", cancellationToken: Cancellation),
            r => r!.Status.CurrentWorkers == 1, StepTimeout, "one worker placed", Cancellation);
        Assert.Equal(["node-1"], runtime!.Status.Workers.Select(w => w.Node));
        Assert.Contains("node-0 does not match the dataset's nodeAffinity", runtime.Status.Conditions.Find("Ready")!.Message, StringComparison.Ordinal);
        Assert.Equal(DatasetPhase.NotBound, (await dataset.RefreshAsync(Cancellation)).Phase);
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
}
