using k8s.Models;
using System.Globalization;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.Contracts.Store;

namespace Fluid.Sdk;

/// <summary>The kinds of runtime a dataset can be bound to.</summary>
public enum RuntimeKind
{
    /// <summary>The object store: steps exchange objects through shared memory on each node.</summary>
    ObjectStore,

    /// <summary>The cache agents: the dataset's files (HTTP, S3, …) cached in tiers on the nodes that read them.</summary>
    Cache,
}

/// <summary>A dataset: bind it a runtime, run flows of steps on it, and clean it up.</summary>
public sealed class FluidDataset
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    internal FluidDataset(FluidClient client, Dataset resource)
    {
        Client = client;
        Resource = resource;
    }

    public FluidClient Client { get; }

    public string Name => Resource.Metadata.Name;

    public string Namespace => Resource.Metadata.NamespaceProperty;

    /// <summary>The dataset as last read; <see cref="RefreshAsync"/> reads it again.</summary>
    public Dataset Resource { get; private set; }

    public DatasetPhase? Phase => Resource.Status.Phase;

    public async Task<FluidDataset> RefreshAsync(CancellationToken cancellationToken = default)
    {
        Resource = await Client.Store.GetAsync<Dataset>(Name, Namespace, cancellationToken)
            ?? throw new ResourceNotFoundException($"Dataset {Namespace}/{Name} was deleted.");
        return this;
    }

    /// <summary>
    /// Binds a runtime, as Fluid's <c>bind_runtime</c>: <paramref name="replicas"/> workers with
    /// <paramref name="cacheCapacityGiB"/> of <paramref name="cacheMedium"/> each. With <paramref name="wait"/>, returns
    /// once the dataset is Bound, or throws with the runtime's reason after <paramref name="timeout"/> (10 min).
    /// </summary>
    public async Task<FluidDataset> BindRuntimeAsync(
        RuntimeKind kind = RuntimeKind.ObjectStore, int replicas = 2, double cacheCapacityGiB = 1, string cacheMedium = "MEM",
        bool wait = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var medium = cacheMedium.ToUpperInvariant() switch
        {
            "MEM" => MediumType.Memory,
            "SSD" => MediumType.Ssd,
            "HDD" => MediumType.Hdd,
            _ => throw new ArgumentException($"'{cacheMedium}' is not a cache medium; use MEM, SSD or HDD.", nameof(cacheMedium)),
        };
        var metadata = new V1ObjectMeta { Name = Name, NamespaceProperty = Namespace, OwnerReferences = [Resource.ControllerReference()] };
        var tiers = new TieredStore
        {
            Levels = [new TieredStoreLevel { MediumType = medium, Quota = new ResourceQuantity(string.Create(CultureInfo.InvariantCulture, $"{(long)(cacheCapacityGiB * 1024)}Mi")) }],
        };
        switch (kind)
        {
            case RuntimeKind.ObjectStore:
                await Client.Store.CreateAsync(new ObjectStoreRuntime { Metadata = metadata, Spec = new() { Replicas = replicas, TieredStore = tiers } }, cancellationToken);
                break;
            case RuntimeKind.Cache:
                await Client.Store.CreateAsync(new CacheRuntime { Metadata = metadata, Spec = new() { Replicas = replicas, TieredStore = tiers } }, cancellationToken);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Bind RuntimeKind.ObjectStore or RuntimeKind.Cache.");
        }

        if (wait)
        {
            await WaitUntilBoundAsync(timeout, cancellationToken);
        }

        return this;
    }

    /// <summary>A flow whose first step runs <paramref name="processor"/> on this dataset; chain more with <see cref="DataFlow.Process"/>.</summary>
    public DataFlow Process(Processor processor, string? mountPath = null, string? subPath = null, IEnumerable<string>? inputs = null) =>
        new DataFlow(this, []).Process(processor, mountPath, subPath, inputs);

    /// <summary>
    /// Deletes the dataset and everything it owns (its runtime, its steps, the objects its steps put), as Fluid's
    /// <c>clean_up</c>; with <paramref name="wait"/>, returns once it is all gone.
    /// </summary>
    public async Task CleanUpAsync(bool wait = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        try
        {
            await Client.Store.DeleteAsync<Dataset>(Name, Namespace, cancellationToken);
        }
        catch (ResourceNotFoundException)
        {
            return;
        }

        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(5));
        while (wait && await Client.Store.GetAsync<Dataset>(Name, Namespace, cancellationToken) is { } remaining)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Dataset {Namespace}/{Name} is still being cleaned up (finalizers: {string.Join(", ", remaining.Metadata.Finalizers)}); is the controller running?");
            }

            await Task.Delay(PollInterval / 4, cancellationToken);
        }
    }

    /// <summary>
    /// Returns once the dataset is Bound, or throws <see cref="TimeoutException"/> with the runtime's reason after
    /// <paramref name="timeout"/> (10 min): what <see cref="BindRuntimeAsync"/> does with <c>wait</c>, for a runtime
    /// bound without it.
    /// </summary>
    public async Task WaitUntilBoundAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? TimeSpan.FromMinutes(10);
        var deadline = DateTime.UtcNow + limit;
        while ((await RefreshAsync(cancellationToken)).Phase != DatasetPhase.Bound)
        {
            if (DateTime.UtcNow > deadline)
            {
                var runtime = (RuntimeStatus?)(await Client.Store.GetAsync<ObjectStoreRuntime>(Name, Namespace, cancellationToken))?.Status
                    ?? (await Client.Store.GetAsync<CacheRuntime>(Name, Namespace, cancellationToken))?.Status;
                var why = runtime?.Conditions.FirstOrDefault()?.Message ?? "the controller has not reported on the runtime (is it running?)";
                throw new TimeoutException($"Dataset {Namespace}/{Name} was not Bound within {limit.TotalSeconds:0} s: {why}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }
}
