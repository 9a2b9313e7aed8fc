using System.Net;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Controller.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Controller.Pods;

/// <summary>
/// Ends the step pods of a node that has gone (its Node deleted) or lost its daemons (its kubelet on a simulated
/// node) for longer than <see cref="StepPodOptions.NodeLostSeconds"/>, as Kubernetes' node lifecycle controller
/// evicts them: each is marked Failed with reason <c>NodeLost</c>, which makes its step run again elsewhere, and
/// deleted, so that a kubelet that comes back stops what is left of it.
/// </summary>
public sealed class LostNodePods(
    k8s.Kubernetes kubernetes,
    NodeDirectory nodes,
    IOptions<StepPodOptions> options,
    TimeProvider clock,
    ILogger<LostNodePods> logger) : BackgroundService
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, DateTimeOffset> _unreadySince = new(StringComparer.Ordinal);

    /// <summary>The nodes whose pods have been ended, until they are ready again.</summary>
    private readonly HashSet<string> _lost = new(StringComparer.Ordinal);

    /// <summary>The nodes at the last check; null before the first.</summary>
    private HashSet<string>? _seen;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var grace = TimeSpan.FromSeconds(options.Value.NodeLostSeconds);
        await nodes.Synced.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(CheckEvery, clock);
        try
        {
            do
            {
                try
                {
                    await EvictAsync(grace, stoppingToken);
                }
                catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or IOException)
                {
                    logger.LogWarning("Checking the pods of lost nodes failed, trying again: {Reason}", ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Lists step pods only when there may be some to end: at the first check (a node may have gone while no
    /// controller ran), when a node has gone, and once for each node that has just become lost; no new step is
    /// placed on a node that is not ready.
    /// </summary>
    private async Task EvictAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var known = nodes.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        foreach (var node in known.Values)
        {
            if (node.Ready)
            {
                _unreadySince.Remove(node.Name);
                _lost.Remove(node.Name);
            }
            else
            {
                _unreadySince.TryAdd(node.Name, now);
            }
        }

        foreach (var gone in _unreadySince.Keys.Where(n => !known.ContainsKey(n)).ToArray())
        {
            _unreadySince.Remove(gone);
            _lost.Remove(gone);
        }

        var newlyLost = _unreadySince.Where(u => now - u.Value >= grace && !_lost.Contains(u.Key)).Select(u => u.Key).ToArray();
        IEnumerable<V1Pod> pods = [];
        if (_seen is null || _seen.Any(n => !known.ContainsKey(n)))
        {
            pods = (await kubernetes.CoreV1.ListPodForAllNamespacesAsync(labelSelector: StepPodMetadata.Selector, cancellationToken: cancellationToken)).Items;
        }
        else
        {
            foreach (var name in newlyLost)
            {
                pods = pods.Concat((await kubernetes.CoreV1.ListPodForAllNamespacesAsync(
                    labelSelector: StepPodMetadata.Selector, fieldSelector: $"spec.nodeName={name}", cancellationToken: cancellationToken)).Items);
            }
        }

        foreach (var pod in pods)
        {
            if (pod.Status?.Phase is "Succeeded" or "Failed" || pod.Metadata.DeletionTimestamp is not null || pod.Spec.NodeName is not { } name)
            {
                continue;
            }

            var why = !known.TryGetValue(name, out var node) ? $"node {name} no longer exists"
                : _unreadySince.TryGetValue(name, out var since) && now - since >= grace
                    ? $"node {name} has not been ready since {since:u} (missing {string.Join(", ", node.Missing)})"
                : null;
            if (why is not null)
            {
                await EvictAsync(pod, why, cancellationToken);
            }
        }

        _lost.UnionWith(newlyLost);
        _seen = [.. known.Keys];
    }

    private async Task EvictAsync(V1Pod pod, string why, CancellationToken cancellationToken)
    {
        logger.LogWarning("Pod {Namespace}/{Pod} is lost: {Why}.", pod.Namespace(), pod.Name(), why);
        try
        {
            var status = new { phase = "Failed", reason = PodOutcomes.NodeLost, message = why };
            await kubernetes.CoreV1.PatchNamespacedPodStatusAsync(
                new V1Patch(new { metadata = new { uid = pod.Uid() }, status }, V1Patch.PatchType.MergePatch), pod.Name(), pod.Namespace(), cancellationToken: cancellationToken);
            await kubernetes.CoreV1.DeleteNamespacedPodAsync(pod.Name(), pod.Namespace(),
                new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Uid() } }, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone already, or replaced.
        }
    }
}
