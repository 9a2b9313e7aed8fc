using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.Controller.Reconciliation;
using Fluid.Aspire.Controller.Runtimes;

namespace Fluid.Aspire.Controller.Datasets;

/// <summary>
/// A dataset's status follows its runtime (Bound once the runtime is ready) and its data (size and file count of
/// local mounts); on deletion, everything it owns goes first: the objects its steps put, its steps and its runtime.
/// </summary>
public sealed class DatasetReconciler(ControlPlaneState state) : IReconciler<Dataset>
{
    private const string BoundCondition = "Bound";

    /// <summary>How often a dataset being deleted looks again for its steps and runtime (their deletions also wake it).</summary>
    private static readonly TimeSpan WaitForOwned = TimeSpan.FromSeconds(2);

    public async Task<TimeSpan?> ReconcileAsync(string key, Dataset? dataset, CancellationToken cancellationToken)
    {
        if (dataset is null)
        {
            await state.Events.ForgetAsync(ResourceKinds.Dataset, key, cancellationToken);
            return null;
        }

        if (dataset.Metadata.DeletionTimestamp is not null)
        {
            return await CleanUpAsync(dataset, cancellationToken);
        }

        if (!dataset.Metadata.Finalizers.Contains(ControlPlaneState.Finalizer))
        {
            var claimed = dataset.Clone();
            claimed.Metadata.Finalizers.Add(ControlPlaneState.Finalizer);
            await state.Store.UpdateAsync(claimed, cancellationToken);
            return null;
        }

        var runtime = DatasetRuntimes.BoundTo(state, key);
        var runtimeStatus = runtime switch
        {
            ObjectStoreRuntime objectStore => (RuntimeStatus)objectStore.Status,
            CacheRuntime cache => cache.Status,
            _ => null,
        };
        var updated = dataset.Clone();
        var status = updated.Status;
        var now = state.Clock.GetUtcNow();
        status.Runtimes = runtime is null
            ? []
            : [new RuntimeReference { Name = runtime.Metadata.Name, Namespace = runtime.Metadata.NamespaceProperty, Category = RuntimeReference.AccelerateCategory, Type = runtime is CacheRuntime ? "cache" : "objectstore" }];
        (status.Phase, var reason, var message) = runtimeStatus switch
        {
            null => (DatasetPhase.NotBound, "NoRuntime", "No runtime is bound; bind one (dataset.BindRuntimeAsync, or an ObjectStoreRuntime or CacheRuntime of the same name)."),
            { Phase: RuntimePhase.Ready } => (DatasetPhase.Bound, "RuntimeReady", $"Bound to {runtime!.Kind} {runtime.Metadata.Name}: {runtimeStatus.ReadyWorkers} worker(s) ready."),
            _ => (DatasetPhase.NotBound, "RuntimeNotReady", runtimeStatus.Conditions.FirstOrDefault()?.Message ?? "The runtime's workers are not ready yet."),
        };
        status.Conditions.Set(new Condition
        {
            Type = BoundCondition,
            Status = status.Phase == DatasetPhase.Bound ? ConditionStatus.True : ConditionStatus.False,
            Reason = reason,
            Message = message,
            ObservedGeneration = dataset.Metadata.Generation,
        }, now);
        if (runtime is CacheRuntime cacheRuntime)
        {
            ReportCache(status, cacheRuntime.Status);
        }
        else
        {
            var (bytes, files) = MeasureLocalMounts(dataset);
            if (bytes is not null)
            {
                status.UfsTotal = Quantity.FormatBytes(bytes.Value);
                status.FileNum = files;
            }

            if (runtime is ObjectStoreRuntime objectStoreRuntime)
            {
                status.CacheStates ??= new CacheStates();
                // The runtime counts the dataset's own objects on its workers, not what else their stores hold.
                status.CacheStates.Cached = Quantity.FormatBytes(objectStoreRuntime.Status.MemoryUsed);
                status.CacheStates.CacheCapacity = Quantity.FormatBytes(objectStoreRuntime.Status.MemoryCapacity);
                // The share of the dataset's files in a cache: an object store holds what steps put, none of the files.
                status.CacheStates.CachedPercentage = CacheStates.FormatPercentage(0, bytes);
            }
        }

        await state.Store.WriteStatusIfChangedAsync(dataset, updated, d => d.Status, cancellationToken);
        if (dataset.Status.Phase != status.Phase)
        {
            await state.Events.NormalAsync(dataset, status.Phase == DatasetPhase.Bound ? "Bound" : "NotBound", message, cancellationToken);
        }

        return null;
    }

    /// <summary>
    /// The dataset's size and cache numbers from its cache runtime's workers: the size from their newest listing
    /// (<see cref="DatasetStatus.Calculating"/> until one is done), what they hold, and the share of bytes read
    /// that its mounts did not have to send.
    /// </summary>
    private static void ReportCache(DatasetStatus status, CacheRuntimeStatus runtime)
    {
        status.UfsTotal = runtime.UfsTotal is { } total ? Quantity.FormatBytes(total) : DatasetStatus.Calculating;
        status.FileNum = runtime.FileNum;
        status.CacheStates ??= new CacheStates();
        status.CacheStates.Cached = Quantity.FormatBytes(runtime.Cached);
        status.CacheStates.CacheCapacity = Quantity.FormatBytes(runtime.CacheCapacity);
        status.CacheStates.CachedPercentage = CacheStates.FormatPercentage(Math.Min(runtime.Cached, runtime.UfsTotal ?? 0), runtime.UfsTotal);
        status.CacheStates.CacheHitRatio = CacheStates.FormatPercentage(Math.Max(0, runtime.BytesRead - runtime.BytesFetched), runtime.BytesRead);
    }

    /// <summary>Size and file count of the dataset's local:// mounts; null when it has none.</summary>
    private static (long? Bytes, long? Files) MeasureLocalMounts(Dataset dataset)
    {
        long bytes = 0;
        long files = 0;
        var any = false;
        foreach (var mount in dataset.Spec.Mounts)
        {
            if (!mount.MountPoint.StartsWith("local://", StringComparison.Ordinal))
            {
                continue;
            }

            any = true;
            var path = mount.MountPoint["local://".Length..];
            if (File.Exists(path))
            {
                bytes += new FileInfo(path).Length;
                files++;
            }
            else if (Directory.Exists(path))
            {
                foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
                {
                    bytes += file.Length;
                    files++;
                }
            }
        }

        return any ? (bytes, files) : (null, null);
    }

    private async Task<TimeSpan?> CleanUpAsync(Dataset dataset, CancellationToken cancellationToken)
    {
        if (!dataset.Metadata.Finalizers.Contains(ControlPlaneState.Finalizer))
        {
            return null;
        }

        var ns = dataset.Metadata.NamespaceProperty;
        var name = dataset.Metadata.Name;
        foreach (var step in state.Processes.List().Where(p => p.Metadata.NamespaceProperty == ns && p.Spec.Dataset?.Name == name))
        {
            await DeleteIfPresentAsync<DataProcess>(step.Metadata.Name, ns, cancellationToken);
        }

        if (state.ObjectStoreRuntimes.Get(ResourceKeys.Of(ns, name)) is not null)
        {
            await DeleteIfPresentAsync<ObjectStoreRuntime>(name, ns, cancellationToken);
        }

        if (state.CacheRuntimes.Get(ResourceKeys.Of(ns, name)) is not null)
        {
            await DeleteIfPresentAsync<CacheRuntime>(name, ns, cancellationToken);
        }

        // The dataset goes last: a step being stopped, or held by someone else's finalizer, still works on it.
        var remaining = state.Processes.List().Count(p => p.Metadata.NamespaceProperty == ns && p.Spec.Dataset?.Name == name);
        if (remaining > 0 || DatasetRuntimes.BoundTo(state, ResourceKeys.Of(ns, name)) is not null)
        {
            await state.Events.NormalAsync(dataset, "CleaningUp", "Waiting for its steps and its runtime to be deleted.", cancellationToken);
            return WaitForOwned;
        }

        var objects = await state.ObjectStores.DeleteLabelledAsync(FlowLabels.Dataset, FlowLabels.DatasetValue(ns, name), cancellationToken);
        await state.Events.NormalAsync(dataset, "CleanedUp", $"Deleted {objects} object(s) of the dataset from the object stores, its steps and its runtime.", cancellationToken);
        var released = dataset.Clone();
        released.Metadata.Finalizers.Remove(ControlPlaneState.Finalizer);
        await state.Store.UpdateAsync(released, cancellationToken);
        return null;
    }

    private async Task DeleteIfPresentAsync<T>(string name, string ns, CancellationToken cancellationToken)
        where T : Resource
    {
        try
        {
            await state.Store.DeleteAsync<T>(name, ns, cancellationToken);
        }
        catch (ResourceNotFoundException)
        {
            // Gone already.
        }
    }
}
