using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.Controller.Reconciliation;
using Fluid.Aspire.ObjectStore.Cluster;
using Grpc.Core;

namespace Fluid.Aspire.Controller.Runtimes;

/// <summary>
/// Places an object store runtime's workers: on ready nodes whose object store can hold the memory quota, that
/// match the dataset's node affinity and the runtime's node selector, as many as <c>replicas</c>. Each worker's
/// object store reserves the quota for the dataset's objects, and caps them at it; the other stores hold no
/// reservation for it. Its status counts the workers and adds up what the dataset's objects use on them; the
/// dataset is Bound once they are all ready.
/// </summary>
public sealed class ObjectStoreRuntimeReconciler(ControlPlaneState state) : IReconciler<ObjectStoreRuntime>
{
    public async Task<TimeSpan?> ReconcileAsync(string key, ObjectStoreRuntime? runtime, CancellationToken cancellationToken)
    {
        if (runtime is null)
        {
            var (ns, name) = ResourceKeys.Split(key);
            await ReleaseAsync(FlowLabels.DatasetValue(ns, name), keep: [], cancellationToken);
            await state.Events.ForgetAsync(ResourceKinds.ObjectStoreRuntime, key, cancellationToken);
            return null;
        }

        if (runtime.Metadata.DeletionTimestamp is not null)
        {
            return null;
        }

        var dataset = state.Datasets.Get(key);
        var updated = runtime.Clone();
        var status = updated.Status;
        var now = state.Clock.GetUtcNow();
        var bound = DatasetRuntimes.BoundTo(state, key);
        if (dataset is null || bound is not ObjectStoreRuntime)
        {
            await ReleaseAsync(FlowLabels.DatasetValue(runtime.Metadata.NamespaceProperty, runtime.Metadata.Name), keep: [], cancellationToken);
            status.Workers = [];
            status.CurrentWorkers = 0;
            var (reason, why) = DatasetRuntimes.Unbound(runtime, dataset, bound);
            status.ReportWorkers(0, reason, why, now);
            await state.Store.WriteStatusIfChangedAsync(runtime, updated, r => r.Status, cancellationToken);
            return null;
        }

        if (await DatasetRuntimes.AdoptAsync(state, runtime, dataset, cancellationToken))
        {
            return null;
        }

        var quota = MemoryQuota(runtime);
        var (candidates, excluded) = Candidates(runtime, dataset, quota);
        var workers = await ReserveAsync(runtime, candidates, quota, excluded, cancellationToken);
        status.DesiredWorkers = runtime.Spec.Replicas;
        status.CurrentWorkers = workers.Count;
        status.Workers = workers;
        status.MemoryUsed = workers.Sum(w => w.MemoryUsed);
        status.MemoryCapacity = quota is { } perWorker ? perWorker * workers.Count : workers.Sum(w => w.MemoryCapacity);
        var message = workers.Count == runtime.Spec.Replicas
            ? $"{workers.Count} of {runtime.Spec.Replicas} worker(s) ready on {string.Join(", ", workers.Select(w => w.Node))}."
            : $"{workers.Count} of {runtime.Spec.Replicas} worker(s) placed{(workers.Count == 0 ? "" : $" on {string.Join(", ", workers.Select(w => w.Node))}")}; " +
                (excluded.Count == 0 ? "no node runs an object store yet." : string.Join("; ", excluded)) + ".";
        status.ReportWorkers(workers.Count, workers.Count == runtime.Spec.Replicas ? "WorkersReady" : "NotEnoughNodes", message, now);
        var written = await state.Store.WriteStatusIfChangedAsync(runtime, updated, r => r.Status, cancellationToken);
        if (written != runtime && runtime.Status.Phase != status.Phase)
        {
            await state.Events.NormalAsync(runtime, status.Phase.ToString()!, message, cancellationToken);
        }

        return null;
    }

    /// <summary>The memory quota of the MEM level, in bytes, if the runtime sets one.</summary>
    private static long? MemoryQuota(ObjectStoreRuntime runtime) =>
        runtime.Spec.TieredStore?.Levels.FirstOrDefault(l => l.MediumType is MediumType.Memory or null) is { Quota: { } quota }
            ? Quantity.Bytes(quota)
            : null;

    /// <summary>The nodes that may hold a worker, those holding one already first, then by free memory.</summary>
    private (List<(ClusterNode Node, InstanceRecord Instance)> Candidates, List<string> Excluded) Candidates(
        ObjectStoreRuntime runtime, Contracts.Datasets.Dataset dataset, long? quota)
    {
        var instances = state.ObjectStores.Instances.ToDictionary(i => i.Node, StringComparer.Ordinal);
        var candidates = new List<(ClusterNode Node, InstanceRecord Instance, long Free)>();
        var excluded = new List<string>();
        foreach (var node in state.Nodes.Nodes)
        {
            if (!instances.TryGetValue(node.Name, out var instance) || !node.Members.Any(m => m.Component == NodeComponents.ObjectStore))
            {
                excluded.Add($"{node.Name} runs no object store");
                continue;
            }

            if (dataset.Spec.NodeAffinity is { } affinity && !affinity.Matches(node.Labels))
            {
                excluded.Add($"{node.Name} does not match the dataset's nodeAffinity");
                continue;
            }

            if (runtime.Spec.Worker?.NodeSelector is { Count: > 0 } selector && !selector.All(s => node.Labels.TryGetValue(s.Key, out var v) && v == s.Value))
            {
                excluded.Add($"{node.Name} does not match spec.worker.nodeSelector");
                continue;
            }

            var stats = state.ObjectStores.StatsOf(instance.Instance);
            var capacity = stats?.Capacity ?? instance.Capacity;
            if (quota is { } needed && needed > capacity)
            {
                excluded.Add($"{node.Name}'s object store holds {Quantity.FormatBytes(capacity)}, less than the quota of {Quantity.FormatBytes(needed)}");
                continue;
            }

            candidates.Add((node, instance, capacity - (stats?.Used ?? 0)));
        }

        // Workers stay where they are while their node qualifies: moving one would move its cache.
        var current = runtime.Status.Workers.Select(w => w.Node).ToHashSet(StringComparer.Ordinal);
        var ordered = candidates
            .OrderByDescending(c => current.Contains(c.Node.Name)).ThenByDescending(c => c.Free).ThenBy(c => c.Node.Name, StringComparer.Ordinal)
            .Select(c => (c.Node, c.Instance))
            .ToList();
        return (ordered, excluded);
    }

    /// <summary>
    /// Reserves the quota (none without one) for the dataset on candidates in order until there are enough
    /// workers; a store that refuses is passed over, its reason added to <paramref name="excluded"/>. Releases the
    /// dataset's reservation on every other store.
    /// </summary>
    private async Task<List<ObjectStoreWorkerStatus>> ReserveAsync(
        ObjectStoreRuntime runtime, List<(ClusterNode Node, InstanceRecord Instance)> candidates, long? quota, List<string> excluded,
        CancellationToken cancellationToken)
    {
        var dataset = FlowLabels.DatasetValue(runtime.Metadata.NamespaceProperty, runtime.Metadata.Name);
        var workers = new List<ObjectStoreWorkerStatus>();
        foreach (var (node, instance) in candidates)
        {
            if (workers.Count == runtime.Spec.Replicas)
            {
                break;
            }

            try
            {
                var usage = await state.ObjectStores.SetReservationAsync(instance, dataset, quota ?? 0, cancellationToken);
                workers.Add(new ObjectStoreWorkerStatus
                {
                    Node = node.Name,
                    Instance = instance.Instance,
                    MemoryUsed = usage.Used,
                    MemoryCapacity = quota ?? state.ObjectStores.StatsOf(instance.Instance)?.Capacity ?? instance.Capacity,
                });
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                excluded.Add($"{node.Name}'s object store could not reserve the quota: {ex.Status.Detail}");
            }
        }

        await ReleaseAsync(dataset, workers.Select(w => w.Instance!.Value).ToHashSet(), cancellationToken);
        return [.. workers.OrderBy(w => w.Node, StringComparer.Ordinal)];
    }

    /// <summary>Releases the dataset's reservation on every store but <paramref name="keep"/>.</summary>
    private async Task ReleaseAsync(string dataset, HashSet<int> keep, CancellationToken cancellationToken)
    {
        foreach (var instance in state.ObjectStores.Instances.Where(i => !keep.Contains(i.Instance)))
        {
            try
            {
                await state.ObjectStores.SetReservationAsync(instance, dataset, 0, cancellationToken);
            }
            catch (RpcException) when (!cancellationToken.IsCancellationRequested)
            {
                // A store out of reach keeps the reservation until a later reconcile of a runtime of this dataset, or its restart, drops it.
            }
        }
    }
}
