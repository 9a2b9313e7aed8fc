using System.Collections.Concurrent;
using System.Net;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Cluster.Resilience;
using Fluid.Aspire.Execution;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.CacheAgent.Kubelet;

/// <summary>
/// The kubelet of a simulated node: follows the pods bound to this node (<c>spec.nodeName</c>) through the Kubernetes
/// API and runs each as a process of this machine with the <see cref="LocalProcessExecutor"/> (process group, log,
/// exit record), writes its status back (running, then how it ended), and, when a pod is deleted, stops its process
/// group and then removes the pod (grace period 0), as a kubelet confirms a deletion. A pod that runs when this
/// process restarts is re-attached by its uid, never started twice; steps outlive this process.
/// </summary>
public sealed class PodRunner(
    k8s.Kubernetes kubernetes,
    LocalProcessExecutor executor,
    KubeletNode node,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<PodRunner> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, TrackedPod> _pods = new(StringComparer.Ordinal);
    private readonly Informer<V1Pod> _informer = new(new KubernetesListWatch<V1Pod, V1PodList>(
        "pods",
        ct => kubernetes.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: $"spec.nodeName={node.Name}", cancellationToken: ct),
        (version, onError, ct) => kubernetes.CoreV1.WatchListPodForAllNamespacesAsync(
            allowWatchBookmarks: true, fieldSelector: $"spec.nodeName={node.Name}", resourceVersion: version, onError: onError, cancellationToken: ct)), logger);

    /// <summary>Completes once the pods of this node are known (the first list).</summary>
    public Task Synced => _informer.Synced;

    /// <summary>A pod of this node as last seen, by namespace and name; null if not on this node.</summary>
    public V1Pod? Find(string @namespace, string name) => _informer.Get(ResourceKeys.Of(@namespace, name));

    /// <summary>Whether the pod's process may still write to its log.</summary>
    public bool IsRunning(string @namespace, string name) =>
        _pods.TryGetValue(ResourceKeys.Of(@namespace, name), out var tracked) && !tracked.Done.IsCompleted;

    /// <summary>The log of a pod of this node (whether or not it exists yet).</summary>
    public string LogPathOf(string @namespace, string name) => executor.GetLogPath(@namespace, name);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);
        await TransientRetry.Forever(logger, $"Writing the status of Node {node.Name}").ExecuteAsync(async ct => await node.PublishAsync(ct), stoppingToken);
        _informer.Changed += (old, pod) => OnChanged(old, pod, stoppingToken);
        logger.LogInformation("Running the pods bound to node {Node}.", node.Name);
        await _informer.RunAsync(stoppingToken);
    }

    private void OnChanged(V1Pod? old, V1Pod? pod, CancellationToken stoppingToken)
    {
        var current = pod ?? old!;
        var key = ResourceKeys.Of(current.Namespace(), current.Name());
        _pods.TryGetValue(key, out var tracked);
        if (tracked is not null && tracked.Uid != current.Uid())
        {
            // A new pod under the name of one this node still runs: the old one was deleted while the watch was away.
            tracked.Stop();
        }

        var terminal = current.Status?.Phase is "Succeeded" or "Failed";
        if (tracked is null || tracked.Uid != current.Uid())
        {
            if (terminal && pod is not null && pod.Metadata.DeletionTimestamp is null)
            {
                return;
            }

            // A pod being deleted is run too: a process of it that an earlier life of this node started is re-attached and stopped.
            tracked = Track(key, current, previous: tracked, run: !terminal, stoppingToken);
        }

        // Deleted with a grace period (deletionTimestamp), or outright (a forced delete): stop the process, then confirm.
        if (pod is null || pod.Metadata.DeletionTimestamp is not null)
        {
            tracked.Stop();
            tracked.ConfirmDeletionOnce(() => ConfirmDeletionAsync(current, tracked, stoppingToken));
        }
    }

    private TrackedPod Track(string key, V1Pod pod, TrackedPod? previous, bool run, CancellationToken stoppingToken)
    {
        var tracked = new TrackedPod(pod.Uid());
        _pods[key] = tracked;
        tracked.Done = run ? RunAsync(pod, previous, tracked, stoppingToken) : previous?.Done ?? Task.CompletedTask;
        return tracked;
    }

    private async Task RunAsync(V1Pod pod, TrackedPod? previous, TrackedPod tracked, CancellationToken stoppingToken)
    {
        // Off the informer's loop: starting a process takes a while, and the loop has other pods to hand out.
        await Task.Yield();

        // A pod recreated under the same name starts once the old one's process has ended: they share the log's name.
        if (previous is not null)
        {
            await previous.Done;
        }

        try
        {
            await RunOnceAsync(pod, tracked, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // This process stops; the step runs on, and is re-attached when it comes back.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Running pod {Namespace}/{Pod} failed.", pod.Namespace(), pod.Name());
        }
    }

    private async Task RunOnceAsync(V1Pod pod, TrackedPod tracked, CancellationToken stoppingToken)
    {
        var scratch = ScratchDirectoryOf(pod);
        var (launch, problem) = PodLaunches.For(pod, scratch);
        if (launch is null)
        {
            logger.LogWarning("Pod {Namespace}/{Pod} cannot run on this node: {Problem}", pod.Namespace(), pod.Name(), problem);
            await WriteStatusAsync(pod, PodStatuses.Refused(pod, node.Address, clock.GetUtcNow(), problem!), stoppingToken);
            return;
        }

        var execution = await executor.TryReattachAsync(launch, stoppingToken);
        if (execution is null)
        {
            if (tracked.Stopping.IsCancellationRequested)
            {
                return;
            }

            Directory.CreateDirectory(scratch);
            execution = await executor.StartAsync(launch, stoppingToken);
        }

        if (!execution.Completion.IsCompleted)
        {
            await WriteStatusAsync(pod, PodStatuses.Running(pod, node.Address, execution.StartedAt), stoppingToken);
        }

        StepOutcome outcome;
        using (tracked.Stopping.Token.Register(() => _ = execution.CancelAsync(CancellationToken.None)))
        {
            outcome = await execution.Completion;
        }

        if (outcome.Status == StepStatus.Detached)
        {
            return;
        }

        logger.LogInformation("Pod {Namespace}/{Pod} ended: {Reason}.", pod.Namespace(), pod.Name(), outcome.Reason);
        await WriteStatusAsync(pod, PodStatuses.Ended(pod, node.Address, execution.StartedAt, outcome), stoppingToken);
    }

    /// <summary>Once the pod's process has ended: forget its files and remove the pod for good.</summary>
    private async Task ConfirmDeletionAsync(V1Pod pod, TrackedPod tracked, CancellationToken stoppingToken)
    {
        await tracked.Done;
        if (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        try
        {
            executor.Forget(pod.Namespace(), pod.Name());
            var scratch = ScratchDirectoryOf(pod);
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            logger.LogWarning("Could not remove the files of pod {Namespace}/{Pod}: {Reason}", pod.Namespace(), pod.Name(), ex.Message);
        }

        var retry = TransientRetry.Forever(logger, $"Removing pod {pod.Namespace()}/{pod.Name()}");
        await retry.ExecuteAsync(async ct =>
        {
            try
            {
                await kubernetes.CoreV1.DeleteNamespacedPodAsync(pod.Name(), pod.Namespace(),
                    new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Uid() } }, cancellationToken: ct);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
            {
                // Gone already, or a new pod of the same name: nothing of this one is left.
            }
        }, stoppingToken);
        _pods.TryRemove(new KeyValuePair<string, TrackedPod>(ResourceKeys.Of(pod.Namespace(), pod.Name()), tracked));
    }

    private async Task WriteStatusAsync(V1Pod pod, V1PodStatus status, CancellationToken stoppingToken)
    {
        var retry = TransientRetry.Forever(logger, $"Writing the status of pod {pod.Namespace()}/{pod.Name()}");
        await retry.ExecuteAsync(async ct =>
        {
            try
            {
                await kubernetes.CoreV1.PatchNamespacedPodStatusAsync(
                    new V1Patch(new { metadata = new { uid = pod.Uid() }, status }, V1Patch.PatchType.MergePatch), pod.Name(), pod.Namespace(), cancellationToken: ct);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
            {
                logger.LogInformation("Pod {Namespace}/{Pod} is gone; its status ({Phase}) is not written.", pod.Namespace(), pod.Name(), status.Phase);
            }
        }, stoppingToken);
    }

    private string ScratchDirectoryOf(V1Pod pod) => Path.Combine(executor.LogsDirectory, pod.Namespace(), $"{pod.Name()}.work");

    /// <summary>A pod this node has taken on: its uid, the stop of its process, and the end of its run.</summary>
    private sealed class TrackedPod(string uid)
    {
        private int _confirming;

        public string Uid { get; } = uid;

        public CancellationTokenSource Stopping { get; } = new();

        public Task Done { get; set; } = Task.CompletedTask;

        public void Stop() => Stopping.Cancel();

        public void ConfirmDeletionOnce(Func<Task> confirm)
        {
            if (Interlocked.Exchange(ref _confirming, 1) == 0)
            {
                _ = confirm();
            }
        }
    }
}
