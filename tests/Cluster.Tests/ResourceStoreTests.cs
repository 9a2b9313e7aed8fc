using k8s.Models;
using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.Contracts.Validation;
using Fluid.Aspire.TestSupport;
using k8s;

namespace Fluid.Aspire.Cluster.Tests;

/// <summary>
/// The resource store on the Kubernetes API (KubernetesClient against the local fluid-apiserver on a real etcd): the
/// semantics the controller, the SDK and the CLI rely on.
/// </summary>
public sealed class ResourceStoreTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_sets_identity_and_a_second_create_of_the_same_name_is_refused()
    {
        await using var stack = await StoreStack.StartAsync(Cancellation);
        var store = stack.Store;

        var created = await store.CreateAsync(NewDataset("housing"), Cancellation);

        Assert.NotNull(created.Metadata.Uid);
        Assert.NotNull(created.Metadata.ResourceVersion);
        Assert.Equal(1, created.Metadata.Generation);
        Assert.NotNull(created.Metadata.CreationTimestamp);
        var read = await store.GetAsync<Dataset>("housing", cancellationToken: Cancellation);
        Assert.Equal(created.Metadata.Uid, read!.Metadata.Uid);
        Assert.Equal(created.Metadata.ResourceVersion, read.Metadata.ResourceVersion);
        Assert.Equal("local:///data/housing", read.Spec.Mounts[0].MountPoint);
        var again = await Assert.ThrowsAsync<ResourceAlreadyExistsException>(() => store.CreateAsync(NewDataset("housing"), Cancellation));
        Assert.Contains("datasets.data.fluid-aspire.io \"housing\" already exists", again.Message, StringComparison.Ordinal);
        Assert.Null(await store.GetAsync<Dataset>("housing", "other", Cancellation));
    }

    [Fact]
    public async Task An_invalid_resource_is_refused_with_its_fields_and_nothing_is_stored()
    {
        await using var stack = await StoreStack.StartAsync(Cancellation);
        var store = stack.Store;
        var bad = NewDataset("Bad_Name");
        bad.Spec.Mounts[0].MountPoint = "ftp://nowhere";

        var error = await Assert.ThrowsAsync<ResourceInvalidException>(() => store.CreateAsync(bad, Cancellation));

        Assert.Contains("metadata.name", error.Message, StringComparison.Ordinal);
        Assert.Contains("spec.mounts[0].mountPoint", error.Message, StringComparison.Ordinal);
        Assert.Empty((await store.ListAsync<Dataset>(cancellationToken: Cancellation)).Items);
    }

    [Fact]
    public async Task Updates_need_the_version_they_read_and_only_spec_changes_bump_the_generation()
    {
        await using var stack = await StoreStack.StartAsync(Cancellation);
        var store = stack.Store;
        var created = await store.CreateAsync(NewDataset("housing"), Cancellation);

        var labelled = created.Clone();
        labelled.Metadata.Labels["team"] = "ml";
        labelled.Status.Phase = DatasetPhase.Bound;
        var afterLabel = await store.UpdateAsync(labelled, Cancellation);
        Assert.Equal(1, afterLabel.Metadata.Generation);
        Assert.NotEqual(DatasetPhase.Bound, afterLabel.Status.Phase);

        var stale = created.Clone();
        stale.Spec.Mounts[0].Path = "/elsewhere";
        var conflict = await Assert.ThrowsAsync<ResourceConflictException>(() => store.UpdateAsync(stale, Cancellation));
        Assert.Contains("the object has been modified; please apply your changes to the latest version and try again", conflict.Message, StringComparison.Ordinal);

        var changed = afterLabel.Clone();
        changed.Spec.Mounts[0].Path = "/elsewhere";
        var afterSpec = await store.UpdateAsync(changed, Cancellation);
        Assert.Equal(2, afterSpec.Metadata.Generation);

        var status = afterSpec.Clone();
        status.Status.Phase = DatasetPhase.Bound;
        status.Spec.Mounts[0].Path = "/ignored";
        var afterStatus = await store.UpdateStatusAsync(status, Cancellation);
        Assert.Equal(DatasetPhase.Bound, afterStatus.Status.Phase);
        Assert.Equal("/elsewhere", afterStatus.Spec.Mounts[0].Path);
        Assert.Equal(2, afterStatus.Metadata.Generation);
        Assert.Equal("ml", (await store.GetAsync<Dataset>("housing", cancellationToken: Cancellation))!.Metadata.Labels["team"]);
    }

    [Fact]
    public async Task A_resource_with_finalizers_is_marked_and_goes_when_the_last_one_is_removed()
    {
        await using var stack = await StoreStack.StartAsync(Cancellation);
        var store = stack.Store;
        var dataset = NewDataset("housing");
        dataset.Metadata.Finalizers.Add("data.fluid-aspire.io/controller");
        await store.CreateAsync(dataset, Cancellation);

        var marked = await store.DeleteAsync<Dataset>("housing", cancellationToken: Cancellation);

        Assert.NotNull(marked!.Metadata.DeletionTimestamp);
        Assert.NotNull(await store.GetAsync<Dataset>("housing", cancellationToken: Cancellation));
        var released = marked.Clone();
        released.Metadata.Finalizers.Clear();
        await store.UpdateAsync(released, Cancellation);
        Assert.Null(await store.GetAsync<Dataset>("housing", cancellationToken: Cancellation));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => store.DeleteAsync<Dataset>("housing", cancellationToken: Cancellation));
    }

    [Fact]
    public async Task Lists_filter_by_namespace_and_labels_and_a_watch_from_the_list_sees_every_later_change()
    {
        await using var stack = await StoreStack.StartAsync(Cancellation);
        var store = stack.Store;
        var labelled = NewDataset("a");
        labelled.Metadata.Labels["run"] = "r1";
        await store.CreateAsync(labelled, Cancellation);
        await store.CreateAsync(NewDataset("b"), Cancellation);
        var elsewhere = NewDataset("c");
        elsewhere.Metadata.NamespaceProperty = "team-b";
        var missing = await Assert.ThrowsAsync<ResourceNotFoundException>(() => store.CreateAsync(elsewhere, Cancellation));
        Assert.Contains("namespaces \"team-b\" not found", missing.Message, StringComparison.Ordinal);
        await stack.CreateNamespaceAsync("team-b");
        await store.CreateAsync(elsewhere, Cancellation);

        Assert.Equal(3, (await store.ListAsync<Dataset>(cancellationToken: Cancellation)).Items.Count);
        Assert.Equal(["a", "b"], (await store.ListAsync<Dataset>("default", cancellationToken: Cancellation)).Items.Select(d => d.Metadata.Name));
        var list = await store.ListAsync<Dataset>(labels: new Dictionary<string, string> { ["run"] = "r1" }, cancellationToken: Cancellation);
        Assert.Equal("a", Assert.Single(list.Items).Metadata.Name);

        using var watching = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var events = new List<(WatchEventType, string)>();
        var watch = Task.Run(async () =>
        {
            await foreach (var change in store.WatchAsync<Dataset>(resourceVersion: list.ResourceVersion, cancellationToken: watching.Token))
            {
                events.Add((change.Type, change.Resource.Metadata.Name));
                if (events.Count == 3)
                {
                    return;
                }
            }
        }, Cancellation);
        await store.CreateAsync(NewDataset("d"), Cancellation);
        var b = (await store.GetAsync<Dataset>("b", cancellationToken: Cancellation))!;
        b.Metadata.Labels["x"] = "y";
        await store.UpdateAsync(b, Cancellation);
        await store.DeleteAsync<Dataset>("a", cancellationToken: Cancellation);

        await watch.WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
        Assert.Equal([(WatchEventType.Added, "d"), (WatchEventType.Modified, "b"), (WatchEventType.Deleted, "a")], events);
    }

    [Fact]
    public async Task A_watch_from_a_compacted_version_says_it_expired()
    {
        await using var stack = await StoreStack.StartAsync(Cancellation);
        var store = stack.Store;
        var first = await store.CreateAsync(NewDataset("a"), Cancellation);
        var second = await store.CreateAsync(NewDataset("b"), Cancellation);
        using var connection = new EtcdConnection(stack.Etcd.ConnectionString());
        await connection.KeyValue.CompactAsync(new CompactionRequest { Revision = long.Parse(second.Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture) },
            cancellationToken: Cancellation);

        var error = await Assert.ThrowsAsync<ResourceExpiredException>(async () =>
        {
            await foreach (var change in store.WatchAsync<Dataset>(resourceVersion: "1", cancellationToken: Cancellation))
            {
                Assert.Fail($"no event expected, got {change}");
            }
        });

        Assert.Contains("list again", error.Message, StringComparison.Ordinal);
        Assert.NotNull(first);
    }

    [Fact]
    public async Task A_runAfter_chain_that_comes_back_is_refused_on_create_and_on_update_naming_the_chain()
    {
        await using var stack = await StoreStack.StartAsync(Cancellation);
        var store = stack.Store;
        await store.CreateAsync(NewStep("a", after: "c"), Cancellation);
        await store.CreateAsync(NewStep("b", after: "a"), Cancellation);

        var onCreate = await Assert.ThrowsAsync<ResourceInvalidException>(() => store.CreateAsync(NewStep("c", after: "b"), Cancellation));
        var a = (await store.GetAsync<DataProcess>("a", cancellationToken: Cancellation))!;
        var c = await store.CreateAsync(NewStep("c", after: null), Cancellation);
        c.Spec.RunAfter = new OperationReference { Kind = nameof(DataProcess), Name = "b" };
        var onUpdate = await Assert.ThrowsAsync<ResourceInvalidException>(() => store.UpdateAsync(c, Cancellation));

        Assert.Contains("spec.runAfter: runAfter makes a cycle (c → b → a → c)", onCreate.Message, StringComparison.Ordinal);
        Assert.Contains("spec.runAfter: runAfter makes a cycle (c → b → a → c)", onUpdate.Message, StringComparison.Ordinal);
        Assert.Null((await store.GetAsync<DataProcess>("c", cancellationToken: Cancellation))!.Spec.RunAfter);
        a.Metadata.Finalizers.Add("example.com/keep");
        await store.UpdateAsync(a, Cancellation);
        Assert.Equal("c", (await store.GetAsync<DataProcess>("a", cancellationToken: Cancellation))!.Spec.RunAfter!.Name);
    }

    /// <summary>A real etcd, the API server on it, and a store on the API.</summary>
    private sealed class StoreStack : IAsyncDisposable
    {
        private StoreStack(EtcdServer etcd, ApiServerProcess api)
        {
            Etcd = etcd;
            Api = api;
            Store = api.CreateStore();
        }

        public EtcdServer Etcd { get; }

        public ApiServerProcess Api { get; }

        public IResourceStore Store { get; }

        public static async Task<StoreStack> StartAsync(CancellationToken cancellationToken)
        {
            var etcd = await EtcdServer.StartAsync(cancellationToken);
            return new StoreStack(etcd, await ApiServerProcess.StartAsync(etcd, cancellationToken));
        }

        public Task CreateNamespaceAsync(string name) => Api.CreateNamespaceAsync(name, Cancellation);

        public async ValueTask DisposeAsync()
        {
            await Api.DisposeAsync();
            await Etcd.DisposeAsync();
        }
    }

    private static DataProcess NewStep(string name, string? after) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new DataProcessSpec
        {
            Dataset = new DatasetReference { Name = "housing" },
            Processor = new ProcessorSpec { Command = new CommandProcessor { Command = "true" } },
            RunAfter = after is null ? null : new OperationReference { Kind = nameof(DataProcess), Name = after },
        },
    };

    private static Dataset NewDataset(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new DatasetSpec { Mounts = [new Mount { MountPoint = $"local:///data/{name}", Name = "data" }] },
    };
}
