using System.Text.Json;
using Fluid.Aspire.CacheAgent.Client;
using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.Controller.Reconciliation;
using Fluid.Aspire.Controller.Runtimes;

namespace Fluid.Aspire.Controller.Caching;

/// <summary>
/// Places a cache runtime's workers on ready nodes whose cache agent is alive, that match the dataset's node affinity
/// and the runtime's node selector, as many as <c>replicas</c> (workers stay where they are while their node
/// qualifies: moving one would move its cache), and assigns the runtime to their agents; a node that no longer holds
/// a worker is told to release it and drop its blocks. Every <paramref name="pollInterval"/> it reads each worker's
/// status from its agent, so the runtime's numbers (and the dataset's, taken from them) are never older than that,
/// plus the agent's listing TTL for the dataset's size.
/// </summary>
public sealed class CacheRuntimeReconciler(ControlPlaneState state, CacheAgents agents, MountSecrets secrets, TimeSpan pollInterval) : IReconciler<CacheRuntime>
{
    public async Task<TimeSpan?> ReconcileAsync(string key, CacheRuntime? runtime, CancellationToken cancellationToken)
    {
        var (ns, name) = ResourceKeys.Split(key);
        if (runtime is null)
        {
            foreach (var node in state.Nodes.Nodes)
            {
                await ReleaseAsync(node, ns, name, cancellationToken);
            }

            await state.Events.ForgetAsync(ResourceKinds.CacheRuntime, key, cancellationToken);
            return null;
        }

        if (runtime.Metadata.DeletionTimestamp is not null)
        {
            return null;
        }

        var updated = runtime.Clone();
        var status = updated.Status;
        var now = state.Clock.GetUtcNow();
        var dataset = state.Datasets.Get(key);
        var bound = DatasetRuntimes.BoundTo(state, key);
        if (dataset is null || bound is not CacheRuntime)
        {
            foreach (var node in state.Nodes.Nodes.Where(n => runtime.Status.Workers.Any(w => w.Node == n.Name)))
            {
                await ReleaseAsync(node, ns, name, cancellationToken);
            }

            Summarize(status, runtime.Spec.Replicas, []);
            var (reason, why) = DatasetRuntimes.Unbound(runtime, dataset, bound);
            status.ReportWorkers(0, reason, why, now);
            await state.Store.WriteStatusIfChangedAsync(runtime, updated, r => r.Status, cancellationToken);
            return null;
        }

        if (await DatasetRuntimes.AdoptAsync(state, runtime, dataset, cancellationToken))
        {
            return null;
        }

        List<Dictionary<string, string>> mountSecrets;
        try
        {
            mountSecrets = await secrets.ReadAsync(dataset, cancellationToken);
        }
        catch (MountSecretException e)
        {
            // The workers keep serving what they were given: the mounts they read have not changed, only what names them.
            status.ReportWorkers(status.ReadyWorkers, "SecretsUnreadable", e.Message, now);
            await state.Store.WriteStatusIfChangedAsync(runtime, updated, r => r.Status, cancellationToken);
            return pollInterval;
        }

        var excluded = new List<string>();
        var candidates = Candidates(runtime, dataset, excluded);
        var assignment = new CacheAssignment { Dataset = dataset.Spec, TieredStore = runtime.Spec.TieredStore, MountSecrets = mountSecrets };
        var workers = new List<CacheWorkerStatus>();
        foreach (var (node, agent) in candidates)
        {
            if (workers.Count == runtime.Spec.Replicas)
            {
                if (runtime.Status.Workers.Any(w => w.Node == node.Name))
                {
                    await ReleaseAsync(node, ns, name, cancellationToken);
                }

                continue;
            }

            try
            {
                workers.Add(await agent.AssignAsync(ns, name, assignment, cancellationToken));
            }
            catch (CacheAgentException e) when (!cancellationToken.IsCancellationRequested)
            {
                excluded.Add($"{node.Name}: {e.Message}");
            }
        }

        // Nodes that held a worker and no longer qualify (gone nodes release by themselves: their agent is gone).
        foreach (var node in state.Nodes.Nodes.Where(n => runtime.Status.Workers.Any(w => w.Node == n.Name) && candidates.All(c => c.Node.Name != n.Name)))
        {
            await ReleaseAsync(node, ns, name, cancellationToken);
        }

        Summarize(status, runtime.Spec.Replicas, workers);
        var ready = workers.Count(w => w.Ready);
        var message = ready == runtime.Spec.Replicas
            ? $"{ready} of {runtime.Spec.Replicas} worker(s) ready on {string.Join(", ", workers.Select(w => w.Node))}."
            : $"{ready} of {runtime.Spec.Replicas} worker(s) ready" + string.Concat(workers.Where(w => !w.Ready).Select(w => $"; {w.Node}: {w.Message}")) + "; " +
                (excluded.Count == 0 ? (workers.Count < runtime.Spec.Replicas ? "no more node runs a cache agent" : "the others are starting") : string.Join("; ", excluded)) + ".";
        status.ReportWorkers(ready, ready == runtime.Spec.Replicas ? "WorkersReady" : workers.Count < runtime.Spec.Replicas ? "NotEnoughNodes" : "WorkersNotReady", message, now);
        if (!SameNumbers(runtime.Status, status))
        {
            status.ObservedAt = now.UtcDateTime;
        }

        var written = await state.Store.WriteStatusIfChangedAsync(runtime, updated, r => r.Status, cancellationToken);
        if (written != runtime && runtime.Status.Phase != status.Phase)
        {
            await state.Events.NormalAsync(runtime, status.Phase.ToString()!, message, cancellationToken);
        }

        return pollInterval;
    }

    /// <summary>The nodes that may hold a worker with their agents, those holding one already first, then by name.</summary>
    private List<(ClusterNode Node, CacheAgentClient Agent)> Candidates(CacheRuntime runtime, Dataset dataset, List<string> excluded)
    {
        var current = runtime.Status.Workers.Select(w => w.Node).ToHashSet(StringComparer.Ordinal);
        var candidates = new List<(ClusterNode Node, CacheAgentClient Agent)>();
        foreach (var node in state.Nodes.Nodes.OrderByDescending(n => current.Contains(n.Name)).ThenBy(n => n.Name, StringComparer.Ordinal))
        {
            if (agents.Of(node) is not { } agent)
            {
                excluded.Add($"{node.Name} runs no cache agent");
            }
            else if (!node.Ready)
            {
                excluded.Add($"{node.Name} is not ready (no {string.Join(", ", node.Missing)})");
            }
            else if (dataset.Spec.NodeAffinity is { } affinity && !affinity.Matches(node.Labels))
            {
                excluded.Add($"{node.Name} does not match the dataset's nodeAffinity");
            }
            else if (runtime.Spec.Worker?.NodeSelector is { Count: > 0 } selector && !selector.All(s => node.Labels.TryGetValue(s.Key, out var v) && v == s.Value))
            {
                excluded.Add($"{node.Name} does not match spec.worker.nodeSelector");
            }
            else
            {
                candidates.Add((node, agent));
            }
        }

        return candidates;
    }

    /// <summary>The workers' numbers and their sums; the dataset's size from the newest listing.</summary>
    private static void Summarize(CacheRuntimeStatus status, int replicas, List<CacheWorkerStatus> workers)
    {
        status.DesiredWorkers = replicas;
        status.CurrentWorkers = workers.Count;
        status.Workers = [.. workers.OrderBy(w => w.Node, StringComparer.Ordinal)];
        status.Cached = workers.Sum(w => w.Cached);
        status.CacheCapacity = workers.Sum(w => w.CacheCapacity);
        status.BytesRead = workers.Sum(w => w.BytesRead);
        status.BytesFetched = workers.Sum(w => w.BytesFetched);
        var newest = workers.Where(w => w.ListedAt is not null).MaxBy(w => w.ListedAt);
        status.UfsTotal = newest?.UfsTotal;
        status.FileNum = newest?.FileNum;
        status.ListedAt = newest?.ListedAt;
    }

    /// <summary>Whether the numbers are as they were; when they are, the time they were observed stays, so that an unchanged runtime is not written again.</summary>
    private static bool SameNumbers(CacheRuntimeStatus before, CacheRuntimeStatus after)
    {
        var observed = after.ObservedAt;
        after.ObservedAt = before.ObservedAt;
        var same = JsonSerializer.Serialize(before, ResourceJson.Options) == JsonSerializer.Serialize(after, ResourceJson.Options);
        after.ObservedAt = same ? before.ObservedAt : observed;
        return same;
    }

    private async Task ReleaseAsync(ClusterNode node, string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            if (agents.Of(node) is { } agent)
            {
                await agent.ReleaseAsync(ns, name, evict: true, cancellationToken);
            }
        }
        catch (CacheAgentException) when (!cancellationToken.IsCancellationRequested)
        {
            // An agent out of reach keeps the blocks until it is told again or restarts; its node is not a worker meanwhile.
        }
    }
}
