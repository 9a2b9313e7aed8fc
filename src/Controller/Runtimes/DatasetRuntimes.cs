using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Controller.Reconciliation;

namespace Fluid.Aspire.Controller.Runtimes;

/// <summary>
/// Which runtime a dataset is bound to: its ObjectStoreRuntime or its CacheRuntime (each has the dataset's name);
/// when both exist, the one created first, as Fluid binds a dataset to one runtime. A tie goes to the object store.
/// </summary>
public static class DatasetRuntimes
{
    public static Resource? BoundTo(ControlPlaneState state, string key)
    {
        var objectStore = state.ObjectStoreRuntimes.Get(key);
        var cache = state.CacheRuntimes.Get(key);
        return objectStore is null ? cache
            : cache is null ? objectStore
            : cache.Metadata.CreationTimestamp < objectStore.Metadata.CreationTimestamp ? cache
            : objectStore;
    }

    /// <summary>Why <paramref name="runtime"/> serves nothing: its dataset is missing, or bound to <paramref name="bound"/>.</summary>
    public static (string Reason, string Message) Unbound(Resource runtime, Dataset? dataset, Resource? bound) =>
        dataset is null || bound is null
            ? ("DatasetNotFound", $"No Dataset {runtime.Metadata.NamespaceProperty}/{runtime.Metadata.Name}: a runtime binds to the dataset of its own name; create that dataset.")
            : ("DatasetBoundElsewhere", $"Dataset {runtime.Metadata.NamespaceProperty}/{runtime.Metadata.Name} is bound to {bound.Kind} {bound.Metadata.Name}, created first; a dataset has one runtime: delete one of them.");

    /// <summary>Makes the runtime owned by its dataset, so that deleting the dataset deletes it too; false when it already is.</summary>
    public static async Task<bool> AdoptAsync<T>(ControlPlaneState state, T runtime, Dataset dataset, CancellationToken cancellationToken)
        where T : Resource
    {
        if (runtime.Metadata.OwnerReferences is { Count: > 0 } || dataset.Metadata.Uid is null)
        {
            return false;
        }

        var owned = (T)runtime.Clone();
        owned.Metadata.OwnerReferences = [dataset.ControllerReference()];
        await state.Store.UpdateAsync(owned, cancellationToken);
        return true;
    }
}
