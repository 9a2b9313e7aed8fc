using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Execution;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Controller.Pods;

/// <summary>
/// Runs the attempts of steps as Pods bound to the scheduled node (<see cref="StepPods"/>): the node's kubelet runs
/// them, a real one on a cluster, the node's cache agent on a laptop. An attempt's end is its pod's, read from the
/// pods this controller made (an informer on <see cref="StepPodMetadata.ManagedBy"/>); re-attachment finds the pod of the
/// step's run and attempt, so that a step that runs is never started twice.
/// </summary>
public sealed class PodExecutor : IStepExecutor, IAsyncDisposable
{
    private const int LogTailLines = 40;
    private const int LogTailBytes = 8 * 1024;

    private readonly k8s.Kubernetes _kubernetes;
    private readonly StepPodOptions _options;
    private readonly ILogger<PodExecutor> _logger;
    private readonly Informer<V1Pod> _pods;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, PodStepExecution> _followed = new(StringComparer.Ordinal);
    private readonly Lazy<Task> _running;
    private int _disposed;

    public PodExecutor(k8s.Kubernetes kubernetes, IOptions<StepPodOptions> options, ILogger<PodExecutor> logger)
    {
        _kubernetes = kubernetes;
        _options = options.Value;
        _logger = logger;
        _pods = new Informer<V1Pod>(new KubernetesListWatch<V1Pod, V1PodList>(
            "pods",
            ct => kubernetes.CoreV1.ListPodForAllNamespacesAsync(labelSelector: StepPodMetadata.Selector, cancellationToken: ct),
            (version, onError, ct) => kubernetes.CoreV1.WatchListPodForAllNamespacesAsync(
                allowWatchBookmarks: true, labelSelector: StepPodMetadata.Selector, resourceVersion: version, onError: onError, cancellationToken: ct)), logger);
        _pods.Changed += OnChanged;
        _running = new Lazy<Task>(() => Task.Run(() => _pods.RunAsync(_stop.Token)));
    }

    public async Task<StepExecution> StartAsync(StepLaunch launch, CancellationToken cancellationToken)
    {
        StepLaunch.ThrowIfInvalid(launch);
        await SyncedAsync(cancellationToken);
        if (FindPod(launch) is { } running && PodOutcomes.Of(running, []) is null)
        {
            throw new InvalidOperationException(
                $"Step {launch.Namespace}/{launch.StepName} still runs as pod {running.Name()} (run {launch.RunId}, attempt {launch.Attempt}); re-attach to it, or cancel it, first.");
        }

        var pod = StepPods.For(launch, _options);
        var created = await _kubernetes.CoreV1.CreateNamespacedPodAsync(pod, launch.Namespace, cancellationToken: cancellationToken);
        _logger.LogInformation("Created pod {Namespace}/{Pod} for step {Step} (run {RunId}, attempt {Attempt}) on {Node}.",
            launch.Namespace, created.Name(), launch.StepName, launch.RunId, launch.Attempt, launch.NodeName);
        return Follow(launch, created, reattached: false);
    }

    public async Task<StepExecution?> TryReattachAsync(StepLaunch launch, CancellationToken cancellationToken)
    {
        StepLaunch.ThrowIfInvalid(launch);
        await SyncedAsync(cancellationToken);
        return FindPod(launch) is { } pod ? Follow(launch, pod, reattached: true) : null;
    }

    /// <summary>Stops following pods, which run on (their executions say <see cref="StepStatus.Detached"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as IStepExecutor, it is disposed twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        foreach (var execution in _followed.Values)
        {
            execution.End(new StepOutcome { Status = StepStatus.Detached, Reason = "the controller stopped following it; its pod runs on" });
        }

        if (_running.IsValueCreated)
        {
            await _running.Value.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }

    private async Task SyncedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        _ = _running.Value;
        await _pods.Synced.WaitAsync(cancellationToken);
    }

    /// <summary>The latest pod of the launch's step, run and attempt.</summary>
    private V1Pod? FindPod(StepLaunch launch) => _pods.List()
        .Where(p => p.Namespace() == launch.Namespace
            && p.GetAnnotation(StepPodMetadata.StepAnnotation) == launch.StepName
            && p.GetAnnotation(StepPodMetadata.RunAnnotation) == launch.RunId
            && p.GetAnnotation(StepPodMetadata.AttemptAnnotation) == launch.Attempt.ToString(CultureInfo.InvariantCulture))
        .MaxBy(p => p.Metadata.CreationTimestamp);

    private PodStepExecution Follow(StepLaunch launch, V1Pod pod, bool reattached)
    {
        var execution = _followed.GetOrAdd(pod.Uid(), _ => new PodStepExecution(this, pod)
        {
            Namespace = launch.Namespace,
            StepName = launch.StepName,
            RunId = launch.RunId,
            Attempt = launch.Attempt,
            PodName = pod.Name(),
            StartedAt = pod.Metadata.CreationTimestamp ?? DateTime.UtcNow,
            IsReattached = reattached,
        });

        // Events before the execution was followed went unheard: the cache's copy says where the pod is now. A new pod
        // may not be cached yet (its events are still to come); a re-attached one missing from the cache is gone.
        var current = _pods.Get(ResourceKeys.Of(pod.Namespace(), pod.Name()));
        if (current?.Uid() == pod.Uid())
        {
            OnChanged(null, current);
        }
        else if (reattached)
        {
            OnChanged(pod, null);
        }

        return execution;
    }

    private void OnChanged(V1Pod? before, V1Pod? after)
    {
        var pod = (after ?? before)!;
        if (!_followed.TryGetValue(pod.Uid(), out var execution))
        {
            return;
        }

        if (after is null)
        {
            // A pod deleted once it ended (a lost node's, marked and deleted at once) ends as its status said.
            if (!execution.TryClaimEnd())
            {
                return;
            }

            Forget(execution, execution.Cancelling ? new StepOutcome { Status = StepStatus.Cancelled, Reason = "cancelled" } : DeletedBeforeItEnded(pod));
            return;
        }

        if (after.Status?.Phase is "Succeeded" or "Failed" && execution.TryClaimEnd())
        {
            _ = EndAsync(execution, after);
        }
        else if (PodOutcomes.NeverStarting(after) is { } outcome && execution.TryClaimEnd())
        {
            _ = EndUnstartedAsync(execution, after, outcome);
        }
    }

    /// <summary>A pod whose container cannot start: its kubelet would retry forever, so the pod goes and the attempt fails.</summary>
    private async Task EndUnstartedAsync(PodStepExecution execution, V1Pod pod, StepOutcome outcome)
    {
        _logger.LogWarning("Pod {Namespace}/{Pod} of step {Step} cannot start: {Reason}", pod.Namespace(), pod.Name(), execution.StepName, outcome.Reason);
        Forget(execution, outcome);
        try
        {
            await DeleteAsync(pod, _stop.Token);
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
        {
            _logger.LogWarning("Could not delete pod {Namespace}/{Pod}, which cannot start: {Reason}", pod.Namespace(), pod.Name(), ex.Message);
        }
    }

    private async Task EndAsync(PodStepExecution execution, V1Pod pod)
    {
        var tail = pod.Status.Phase == "Succeeded" || pod.Status.Reason == PodOutcomes.NodeLost ? [] : await ReadTailAsync(pod);
        var outcome = PodOutcomes.Of(pod, tail)!;
        if (execution.Cancelling && outcome.Status != StepStatus.Succeeded)
        {
            outcome = new StepOutcome { Status = StepStatus.Cancelled, ExitCode = outcome.ExitCode, Signal = outcome.Signal, Duration = outcome.Duration, LogTail = tail, Reason = "cancelled" };
        }
        else if (pod.Metadata.DeletionTimestamp is not null && outcome.Status is not (StepStatus.Succeeded or StepStatus.Lost))
        {
            // Someone else deleted it (kubectl delete pod, a drain): its kubelet stopped it, which is no failure of the step.
            outcome = DeletedBeforeItEnded(pod);
        }

        Forget(execution, outcome);
    }

    private static StepOutcome DeletedBeforeItEnded(V1Pod pod) =>
        new() { Status = StepStatus.Lost, Reason = $"its pod {pod.Name()} was deleted before it ended; whether the step did its work is unknown" };

    private void Forget(PodStepExecution execution, StepOutcome outcome)
    {
        _followed.TryRemove(new KeyValuePair<string, PodStepExecution>(execution.Uid, execution));
        execution.End(outcome);
    }

    private async Task<IReadOnlyList<string>> ReadTailAsync(V1Pod pod)
    {
        try
        {
            await using var log = await _kubernetes.CoreV1.ReadNamespacedPodLogAsync(
                pod.Name(), pod.Namespace(), container: StepPodMetadata.Container, tailLines: LogTailLines, limitBytes: LogTailBytes, cancellationToken: _stop.Token);
            using var reader = new StreamReader(log);
            var text = await reader.ReadToEndAsync(_stop.Token);
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
        {
            _logger.LogWarning("Could not read the log of pod {Namespace}/{Pod}: {Reason}", pod.Namespace(), pod.Name(), ex.Message);
            return [];
        }
    }

    private async Task DeleteAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await _kubernetes.CoreV1.DeleteNamespacedPodAsync(pod.Name(), pod.Namespace(),
                new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Uid() } }, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone already.
        }
    }

    /// <summary>An attempt as a pod: it ends when the pod does; cancelling deletes the pod, whose kubelet stops it.</summary>
    private sealed class PodStepExecution(PodExecutor executor, V1Pod pod) : StepExecution
    {
        private readonly TaskCompletionSource<StepOutcome> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _ending;

        public string Uid { get; } = pod.Uid();

        public bool Cancelling { get; private set; }

        public override Task<StepOutcome> Completion => _end.Task;

        public bool TryClaimEnd() => Interlocked.Exchange(ref _ending, 1) == 0;

        public void End(StepOutcome outcome) => _end.TrySetResult(outcome);

        public override async Task CancelAsync(CancellationToken cancellationToken = default)
        {
            if (_end.Task.IsCompleted)
            {
                return;
            }

            Cancelling = true;
            await executor.DeleteAsync(pod, cancellationToken);
            await _end.Task.WaitAsync(cancellationToken);
        }
    }
}
