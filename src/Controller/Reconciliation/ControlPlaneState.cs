using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.Controller.Events;
using Fluid.Aspire.Controller.ObjectStores;
using Fluid.Aspire.Controller.Nodes;

namespace Fluid.Aspire.Controller.Reconciliation;

/// <summary>What every reconciler reads and writes: the store, the caches of each kind, the nodes, the object stores.</summary>
public sealed class ControlPlaneState(
    IResourceStore store,
    NodeDirectory nodes,
    ObjectStoreView objectStores,
    EventRecorder events,
    TimeProvider clock,
    ILoggerFactory loggers)
{
    /// <summary>The finalizer the controller puts on what it must clean up after.</summary>
    public const string Finalizer = "data.fluid-aspire.io/controller";

    public IResourceStore Store { get; } = store;

    public NodeDirectory Nodes { get; } = nodes;

    public ObjectStoreView ObjectStores { get; } = objectStores;

    public EventRecorder Events { get; } = events;

    public TimeProvider Clock { get; } = clock;

    public Informer<Dataset> Datasets { get; } = Informer.Of<Dataset>(store, loggers.CreateLogger<Informer<Dataset>>());

    public Informer<ObjectStoreRuntime> ObjectStoreRuntimes { get; } = Informer.Of<ObjectStoreRuntime>(store, loggers.CreateLogger<Informer<ObjectStoreRuntime>>());

    public Informer<CacheRuntime> CacheRuntimes { get; } = Informer.Of<CacheRuntime>(store, loggers.CreateLogger<Informer<CacheRuntime>>());

    public Informer<DataProcess> Processes { get; } = Informer.Of<DataProcess>(store, loggers.CreateLogger<Informer<DataProcess>>());
}
