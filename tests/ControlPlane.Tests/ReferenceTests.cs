using k8s.Models;
using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;
using Google.Protobuf;

namespace Fluid.Aspire.ControlPlane.Tests;

/// <summary>Steps that name what is not there: cycles of runAfter, steps and datasets that do not exist or went away.</summary>
public sealed class ReferenceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_runAfter_cycle_that_slipped_past_the_store_fails_its_steps_with_the_chain()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        await client.CreateDatasetAsync("cyclic", cancellationToken: Cancellation);
        var b = await client.Store.CreateAsync(Step("b", dataset: "cyclic", after: "not-yet"), Cancellation);
        await client.Store.CreateAsync(Step("a", dataset: "cyclic", after: "b"), Cancellation);

        // The store refuses to close the cycle, as two racing writers could; so the test writes past it, into etcd.
        b.Spec.RunAfter!.Name = "a";
        b.Metadata.ResourceVersion = null;
        using var etcd = new EtcdConnection(cluster.Etcd.ConnectionString());
        await etcd.KeyValue.PutAsync(new PutRequest
        {
            Key = ByteString.CopyFromUtf8("/fluid/resources/data.fluid-aspire.io/dataprocesses/default/b"),
            Value = ByteString.CopyFrom(ResourceJson.SerializeToUtf8Bytes(b)),
        }, cancellationToken: Cancellation);

        foreach (var (name, chain) in new[] { ("a", "a → b → a"), ("b", "b → a → b") })
        {
            var failed = await Eventually.ReturnsAsync(() => client.Store.GetAsync<DataProcess>(name, cancellationToken: Cancellation),
                p => p!.Status.Phase == OperationPhase.Failed, Patience, $"step {name} failed", Cancellation);
            var condition = failed!.Status.Conditions.Find("Complete")!;
            Assert.Equal("RunAfterCycle", condition.Reason);
            Assert.Contains($"({chain})", condition.Message, StringComparison.Ordinal);
            Assert.Null(failed.Status.NodeName);
        }
    }

    [Fact]
    public async Task A_step_waits_visibly_for_a_missing_step_or_dataset_and_fails_after_the_grace_period()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation,
            controllerSettings: new Dictionary<string, string> { ["Fluid__Controller__MissingReferenceGraceSeconds"] = "4" });
        await using var client = Flows.Client(cluster);
        await client.CreateDatasetAsync("present", cancellationToken: Cancellation);
        await client.Store.CreateAsync(Step("orphan", dataset: "present", after: "never-created"), Cancellation);
        await client.Store.CreateAsync(Step("homeless", dataset: "absent", after: null), Cancellation);

        foreach (var (name, reason, missing) in new[] { ("orphan", "PredecessorNotFound", "never-created"), ("homeless", "DatasetNotFound", "absent") })
        {
            var failed = await Eventually.ReturnsAsync(() => client.Store.GetAsync<DataProcess>(name, cancellationToken: Cancellation),
                p => p!.Status.Phase == OperationPhase.Failed, Patience, $"step {name} failed", Cancellation);
            var condition = failed!.Status.Conditions.Find("Complete")!;
            Assert.Equal(reason, condition.Reason);
            Assert.Contains(missing, condition.Message, StringComparison.Ordinal);
            Assert.Contains("MissingReferenceGraceSeconds", condition.Message, StringComparison.Ordinal);
            Assert.Null(failed.Status.Conditions.Find("Waiting"));

            // While it waited, its Waiting condition said what for and until when; the event records it.
            bool WaitedFor(Corev1Event e) => e.Reason == reason && e.Type == "Normal";
            var waited = (await Eventually.EventsAsync(client.Kubernetes, name, events => events.Any(WaitedFor), $"a {reason} event", Cancellation))
                .Where(WaitedFor).ToArray();
            Assert.All(waited, e => Assert.Contains(missing, e.Message, StringComparison.Ordinal));
            Assert.All(waited, e => Assert.Contains("Fails at", e.Message, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_run_fails_at_once_when_a_step_is_deleted_before_the_one_after_it_started()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        var dataset = await client.CreateDatasetAsync("deleted-midway", cancellationToken: Cancellation);
        var run = await dataset.Process(Processor.FromCommand("sleep", ["300"])).Process(Processor.FromCommand("true")).RunAsync("gone", Cancellation);
        await Eventually.ReturnsAsync(() => run.GetStatusAsync(Cancellation), r => r[0].Phase == OperationPhase.Executing, Patience, "the first step running",
            Cancellation);

        await client.Store.DeleteAsync<DataProcess>("gone-step0", cancellationToken: Cancellation);
        var failure = await Assert.ThrowsAsync<FlowFailedException>(() => run.WaitAsync(Patience, Cancellation));

        Assert.Equal("gone-step1", failure.Step.Name);
        Assert.Contains("runs after step gone-step0, which was deleted", failure.Message, StringComparison.Ordinal);
        // Its phase is the controller's to write, in its own time: waited for until reported, then it must not have run.
        var stranded = await Eventually.ResourceAsync<DataProcess>(client.Store, "gone-step1", p => p.Status.Phase is not null,
            "its phase reported", Cancellation);
        Assert.Equal(OperationPhase.Pending, stranded.Status.Phase);
    }

    [Fact]
    public async Task A_step_the_planner_cannot_place_fails_with_the_planners_reason_instead_of_being_retried()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        await client.Store.CreateAsync(Step("misplaced", dataset: "unplaceable", after: null), Cancellation);
        await Eventually.ResourceAsync<DataProcess>(client.Store, "misplaced", p => p.Status.Conditions.Find("Waiting")?.Reason == "DatasetNotFound",
            "the step waiting for its dataset", Cancellation);

        // "In" without values: the local store refuses it, but a cluster's CRD cannot hold that rule; so the test writes
        // the dataset past the store, into etcd, as a cluster would have let it in.
        var dataset = new Dataset
        {
            Metadata = new V1ObjectMeta
            {
                Name = "unplaceable", NamespaceProperty = Resource.DefaultNamespace, Uid = Guid.NewGuid().ToString(), Generation = 1,
                CreationTimestamp = DateTime.UtcNow,
            },
            Spec = new DatasetSpec
            {
                Mounts = [new Mount { MountPoint = $"local://{data.Path}" }],
                NodeAffinity = new NodeAffinity
                {
                    Required = new V1NodeSelector
                    {
                        NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "topology.kubernetes.io/zone", OperatorProperty = "In", Values = [] }] }],
                    },
                },
            },
        };
        using var etcd = new EtcdConnection(cluster.Etcd.ConnectionString());
        await etcd.KeyValue.PutAsync(new PutRequest
        {
            Key = ByteString.CopyFromUtf8("/fluid/resources/data.fluid-aspire.io/datasets/default/unplaceable"),
            Value = ByteString.CopyFrom(ResourceJson.SerializeToUtf8Bytes(dataset)),
        }, cancellationToken: Cancellation);

        var failed = await Eventually.ResourceAsync<DataProcess>(client.Store, "misplaced", p => p.Status.Phase == OperationPhase.Failed,
            "the step failed", Cancellation);
        var condition = failed.Status.Conditions.Find("Complete")!;
        Assert.Equal("InvalidStep", condition.Reason);
        Assert.Contains("topology.kubernetes.io/zone In []", condition.Message, StringComparison.Ordinal);
        Assert.Contains("must list at least one value for operator In", condition.Message, StringComparison.Ordinal);
        Assert.Contains("dataset unplaceable's spec.nodeAffinity.required.nodeSelectorTerms", condition.Message, StringComparison.Ordinal);
        Assert.Null(failed.Status.NodeName);
        await Eventually.EventsAsync(client.Kubernetes, "misplaced", events => events.Any(e => e is { Type: "Warning", Reason: "Failed" }),
            "a Failed event", Cancellation);
    }

    private static DataProcess Step(string name, string dataset, string? after) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new DataProcessSpec
        {
            Dataset = new DatasetReference { Name = dataset },
            Processor = Processor.FromCommand("true").Spec,
            RunAfter = after is null ? null : new OperationReference { Kind = nameof(DataProcess), Name = after },
        },
    };
}
