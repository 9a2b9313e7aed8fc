using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Cluster.Leadership;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.Controller.Caching;
using Fluid.Aspire.Controller.Datasets;
using Fluid.Aspire.Controller.Events;
using Fluid.Aspire.Execution;
using Fluid.Aspire.Controller.ObjectStores;
using Fluid.Aspire.Controller.Nodes;
using Fluid.Aspire.Controller.Operations;
using Fluid.Aspire.Controller.Reconciliation;
using Fluid.Aspire.Controller.Runtimes;
using Fluid.Aspire.Controller.Scheduling;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Controller;

/// <summary>The controller's settings, section <c>Fluid:Controller</c>.</summary>
public sealed class ControllerOptions
{
    public const string SectionName = "Fluid:Controller";

    /// <summary>How long a dead leader keeps the others waiting; it steps down after two thirds of it without etcd.</summary>
    public int LeaderLeaseSeconds { get; set; } = 10;

    /// <summary>Parallel workers per kind: etcd writes need concurrency to be fast.</summary>
    public int Workers { get; set; } = 16;

    /// <summary>
    /// Seconds a step waits for the step it runs after, or its dataset, to exist before it fails: a flow's parts may be
    /// created in any order, but a name that never appears must not keep the step Pending forever.
    /// </summary>
    public int MissingReferenceGraceSeconds { get; set; } = 60;

    /// <summary>
    /// Seconds between tries to place a step that no node has room for. It is also tried at once when a step that
    /// held requests ends and when the nodes change, so this only bounds what those miss.
    /// </summary>
    public int UnschedulableRetrySeconds { get; set; } = 30;

    /// <summary>
    /// Seconds between reads of each cache runtime's workers: a cache runtime's numbers, and its dataset's, are at most
    /// this old (the dataset's size also the agents' listing TTL).
    /// </summary>
    public int CacheStatusSeconds { get; set; } = 5;

    /// <summary>The problems with these settings, each naming the setting and how to fix it.</summary>
    public IEnumerable<string> Validate()
    {
        if (LeaderLeaseSeconds is < 2 or > 300)
        {
            yield return $"{SectionName}:{nameof(LeaderLeaseSeconds)} is {LeaderLeaseSeconds}; use 2 to 300, for example 10.";
        }

        if (Workers is < 1 or > 256)
        {
            yield return $"{SectionName}:{nameof(Workers)} is {Workers}; use 1 to 256, for example 16.";
        }

        if (MissingReferenceGraceSeconds is < 0 or > 86_400)
        {
            yield return $"{SectionName}:{nameof(MissingReferenceGraceSeconds)} is {MissingReferenceGraceSeconds}; use 0 to 86400 (a day), for example 60.";
        }

        if (CacheStatusSeconds is < 1 or > 3600)
        {
            yield return $"{SectionName}:{nameof(CacheStatusSeconds)} is {CacheStatusSeconds}; use 1 to 3600 (an hour), for example 5.";
        }

        if (UnschedulableRetrySeconds is < 1 or > 86_400)
        {
            yield return $"{SectionName}:{nameof(UnschedulableRetrySeconds)} is {UnschedulableRetrySeconds}; use 1 to 86400 (a day), for example 30.";
        }
    }
}

/// <summary>
/// The reconcile loops of every kind, run only while this controller is the leader (an etcd lease), and wired
/// together: a change of one kind wakes the resources of another kind that depend on it.
/// </summary>
public sealed class ControlPlane(
    IResourceStore store,
    NodeDirectory nodes,
    SimulatedNodeStatus nodeStatus,
    ObjectStoreView objectStores,
    CacheAgents cacheAgents,
    MountSecrets mountSecrets,
    EventRecorder events,
    IStepExecutor executor,
    StepScheduler scheduler,
    LeaderElection election,
    IOptions<ControllerOptions> options,
    TimeProvider clock,
    ILoggerFactory loggers) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await nodes.Synced.WaitAsync(stoppingToken);
        await objectStores.Synced.WaitAsync(stoppingToken);
        await election.RunAsync(LeadAsync, stoppingToken);
    }

    /// <summary>One term of leadership: fresh caches and loops, gone when leadership is.</summary>
    private async Task LeadAsync(CancellationToken leading)
    {
        var state = new ControlPlaneState(store, nodes, objectStores, events, clock, loggers);
        var workers = options.Value.Workers;
        var processReconciler = new DataProcessReconciler(
            state, new StepPlanner(state, scheduler), executor, TimeSpan.FromSeconds(options.Value.MissingReferenceGraceSeconds),
            TimeSpan.FromSeconds(options.Value.UnschedulableRetrySeconds), loggers.CreateLogger<DataProcessReconciler>());
        using var datasets = new ControllerLoop<Dataset>(state.Datasets, new DatasetReconciler(state), workers, clock, loggers.CreateLogger("Fluid.Aspire.Controller.Datasets"));
        using var runtimes = new ControllerLoop<ObjectStoreRuntime>(state.ObjectStoreRuntimes, new ObjectStoreRuntimeReconciler(state), workers, clock, loggers.CreateLogger("Fluid.Aspire.Controller.Runtimes"));
        using var caches = new ControllerLoop<CacheRuntime>(
            state.CacheRuntimes, new CacheRuntimeReconciler(state, cacheAgents, mountSecrets, TimeSpan.FromSeconds(options.Value.CacheStatusSeconds)), workers, clock,
            loggers.CreateLogger("Fluid.Aspire.Controller.CacheRuntimes"));
        using var processes = new ControllerLoop<DataProcess>(state.Processes, processReconciler, workers, clock, loggers.CreateLogger("Fluid.Aspire.Controller.Processes"));
        processReconciler.Enqueue = processes.Enqueue;

        // A dataset follows its runtime; the other runtime of the same name follows which one is bound.
        state.ObjectStoreRuntimes.Changed += (before, after) =>
        {
            datasets.Enqueue(ResourceKeys.Of((after ?? before)!));
            caches.Enqueue(ResourceKeys.Of((after ?? before)!));
        };
        state.CacheRuntimes.Changed += (before, after) =>
        {
            datasets.Enqueue(ResourceKeys.Of((after ?? before)!));
            runtimes.Enqueue(ResourceKeys.Of((after ?? before)!));
        };
        state.Processes.Changed += (before, after) =>
        {
            // A dataset being deleted waits for its steps to go.
            if (after is null && before?.Spec.Dataset is { } dataset)
            {
                datasets.Enqueue(ResourceKeys.Of(dataset.Namespace ?? before.Metadata.NamespaceProperty, dataset.Name));
            }

            // The steps that run after this one read its phase from this cache: they are woken once the cache has it,
            // never by the write that set it, which the cache may not have yet. Only an end changes what they do.
            if (after?.Status.Phase is OperationPhase.Complete or OperationPhase.Failed && after.Status.Phase != before?.Status.Phase)
            {
                processReconciler.WakeDependents(after);
                if (after.Spec.Resources?.Requests is { Count: > 0 })
                {
                    processReconciler.WakeUnschedulable();
                }
            }
        };
        state.Datasets.Changed += (before, after) =>
        {
            var dataset = (after ?? before)!;
            var key = ResourceKeys.Of(dataset);
            runtimes.Enqueue(key);
            caches.Enqueue(key);
            foreach (var step in state.Processes.List().Where(p => p.Spec.Dataset?.Name == dataset.Metadata.Name && p.Metadata.NamespaceProperty == dataset.Metadata.NamespaceProperty))
            {
                processes.Enqueue(ResourceKeys.Of(step));
            }

            // A change of phase, not the phase a new term's first list finds: that one fired under an earlier leader,
            // which wrote it into the steps' status if it saw it.
            if (before is not null && after?.Status.Phase is { } phase && before.Status.Phase != phase)
            {
                processReconciler.Trigger(
                    p => p.Spec.OnEvent?.DatasetPhase is { } trigger && trigger.Name == dataset.Metadata.Name && trigger.Phase == phase
                        && (trigger.Namespace ?? p.Metadata.NamespaceProperty) == dataset.Metadata.NamespaceProperty,
                    "DatasetPhase", $"dataset {dataset.Metadata.Name} became {phase}");
            }
        };
        void OnNodes()
        {
            runtimes.EnqueueAll();
            caches.EnqueueAll();
            processes.EnqueueAll();
        }

        void OnName(string name) => processReconciler.Trigger(p => p.Spec.OnEvent?.ObjectPut == name, "ObjectPut", $"object '{name}' was put");
        nodes.Changed += OnNodes;
        objectStores.InstancesChanged += runtimes.EnqueueAll;
        objectStores.NamePut += OnName;
        try
        {
            await Task.WhenAll(datasets.RunAsync(leading), runtimes.RunAsync(leading), caches.RunAsync(leading), processes.RunAsync(leading), nodeStatus.RunAsync(leading));
        }
        finally
        {
            nodes.Changed -= OnNodes;
            objectStores.InstancesChanged -= runtimes.EnqueueAll;
            objectStores.NamePut -= OnName;
        }
    }
}
