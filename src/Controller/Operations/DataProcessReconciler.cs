using Fluid.Aspire.Cluster.Kubernetes;
using System.Collections.Concurrent;
using System.Globalization;
using Cronos;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.Execution;
using Fluid.Aspire.Controller.Reconciliation;

namespace Fluid.Aspire.Controller.Operations;

/// <summary>
/// Runs DataProcess steps: each waits for the step it runs after to complete (and fails with it), for its dataset
/// to be bound, and for a node; it is then launched next to its data, and its outcome goes into its status. Cron
/// steps run again on their schedule, OnEvent steps when their event happens. Steps that outlive a controller are
/// found again by the next one instead of being run twice. A step that names a step or dataset that does not exist
/// waits for it for <c>missingReferenceGrace</c>, then fails; one whose runAfter chain comes back to it fails at once;
/// one the planner cannot place or launch as written (no processor, a node selector the scheduler refuses) fails
/// with the planner's reason.
/// </summary>
/// <remarks>
/// An OnEvent step's event is written into its status (the <see cref="TriggeredCondition"/> condition) before the
/// step acts on it, and consumed by the status write that claims the run: an event seen just before the controller
/// dies or loses its leadership is run by the next leader, once.
/// </remarks>
public sealed class DataProcessReconciler(
    ControlPlaneState state, StepPlanner planner, IStepExecutor executor, TimeSpan missingReferenceGrace, TimeSpan unschedulableRetry,
    ILogger<DataProcessReconciler> logger)
    : IReconciler<DataProcess>
{
    private const string AttemptInfo = "attempt";
    private const string LogInfo = "logPath";
    private const string TriggerInfo = "trigger";

    /// <summary>
    /// The condition that holds an OnEvent step's event until a run is started for it: True, with the kind of event
    /// as reason, what happened as message, and when it was seen.
    /// </summary>
    public const string TriggeredCondition = "Triggered";

    private readonly ConcurrentDictionary<string, StepExecution> _running = new(StringComparer.Ordinal);

    /// <summary>
    /// Steps placed by this controller, as placed (with their node), from their placement until they end: the cache
    /// may not show them Executing yet, and their requests hold their node from the moment it was chosen.
    /// </summary>
    private readonly ConcurrentDictionary<string, DataProcess> _placed = new(StringComparer.Ordinal);

    /// <summary>One placement at a time, so that two steps cannot both take the last room on a node.</summary>
    private readonly Lock _placement = new();

    /// <summary>Events seen and not yet written into their step's status, by step key.</summary>
    private readonly ConcurrentDictionary<string, SeenEvent> _seen = new(StringComparer.Ordinal);

    /// <summary>Called with a step's key when something happens that it may be waiting for.</summary>
    public Action<string> Enqueue { get; set; } = _ => { };

    /// <summary>
    /// Notes an event that OnEvent steps wait for, and wakes the steps that wait for it, whose reconcile writes it
    /// into their status before anything else.
    /// </summary>
    /// <param name="waitsFor">Whether a step waits for this event.</param>
    /// <param name="kind">The kind of event, a CamelCase word (the condition's reason), e.g. <c>ObjectPut</c>.</param>
    /// <param name="what">What happened, e.g. <c>object 'model' was put</c>.</param>
    public void Trigger(Func<DataProcess, bool> waitsFor, string kind, string what)
    {
        foreach (var step in state.Processes.List().Where(p => p.Spec.Policy == OperationPolicy.OnEvent && waitsFor(p)))
        {
            var key = ResourceKeys.Of(step);
            _seen[key] = new SeenEvent(kind, what);
            Enqueue(key);
        }
    }

    public async Task<TimeSpan?> ReconcileAsync(string key, DataProcess? step, CancellationToken cancellationToken)
    {
        if (step is null)
        {
            await CancelAsync(key, "deleted");
            await state.Events.ForgetAsync(ResourceKinds.DataProcess, key, cancellationToken);
            return null;
        }

        if (step.Metadata.DeletionTimestamp is not null)
        {
            await CancelAsync(key, "deleted");
            if (step.Metadata.Finalizers.Contains(ControlPlaneState.Finalizer))
            {
                var released = step.Clone();
                released.Metadata.Finalizers.Remove(ControlPlaneState.Finalizer);
                await state.Store.UpdateAsync(released, cancellationToken);
            }

            return null;
        }

        if (!step.Metadata.Finalizers.Contains(ControlPlaneState.Finalizer))
        {
            // A step being deleted while it runs must be stopped first: the finalizer gives the controller that chance.
            var claimed = step.Clone();
            claimed.Metadata.Finalizers.Add(ControlPlaneState.Finalizer);
            await state.Store.UpdateAsync(claimed, cancellationToken);
            return null;
        }

        if (_seen.TryGetValue(key, out var seen))
        {
            step = await RecordTriggerAsync(step, seen, cancellationToken);
            // Only this event: one seen meanwhile is written by the next reconcile.
            _seen.TryRemove(KeyValuePair.Create(key, seen));
        }

        return step.Status.Phase switch
        {
            OperationPhase.Executing => await FollowAsync(key, step, cancellationToken),
            OperationPhase.Complete or OperationPhase.Failed => await AfterFinishAsync(key, step, cancellationToken),
            _ => await StartIfReadyAsync(key, step, cancellationToken),
        };
    }

    private async Task<TimeSpan?> StartIfReadyAsync(string key, DataProcess step, CancellationToken cancellationToken)
    {
        var policy = step.Spec.Policy ?? OperationPolicy.Once;
        if (policy == OperationPolicy.Cron && NextRun(step) is { } due && due > state.Clock.GetUtcNow())
        {
            return await WaitAsync(step, "Scheduled", $"Next run at {due:u} (schedule '{step.Spec.Schedule}').", due - state.Clock.GetUtcNow(), cancellationToken);
        }

        if (policy == OperationPolicy.OnEvent && !IsTriggered(step))
        {
            return await WaitAsync(step, "WaitingForEvent", $"Runs when {Describe(step.Spec.OnEvent)}.", null, cancellationToken);
        }

        DataProcess? predecessor = null;
        if (step.Spec.RunAfter is { } after)
        {
            // Before the predecessor's phase: each step of a cycle fails for the cycle, not for the one failed before it.
            if (await FindCycleAsync(step, cancellationToken) is { } cycle)
            {
                return await FinishAsync(step, OperationPhase.Failed, null, "RunAfterCycle", RunAfterChain.CycleMessage(cycle), null, null, cancellationToken);
            }

            predecessor = state.Processes.Get(ResourceKeys.Of(after.Namespace ?? step.Metadata.NamespaceProperty, after.Name));
            switch (predecessor?.Status.Phase)
            {
                case null when predecessor is null:
                    return await WaitForMissingAsync(step, "PredecessorNotFound",
                        $"Runs after {after.Kind} {after.Name}, which does not exist (yet); create it, or fix spec.runAfter.", cancellationToken);
                case OperationPhase.Failed:
                    return await FinishAsync(step, OperationPhase.Failed, null, "PredecessorFailed",
                        $"{after.Kind} {after.Name}, which this step runs after, failed: {predecessor.Status.Conditions.Find(OperationConditions.Complete)?.Message}",
                        null, null, cancellationToken);
                case OperationPhase.Complete:
                    break;
                default:
                    return await WaitAsync(step, "WaitingForPredecessor", $"Waiting for {after.Kind} {after.Name} to complete.", null, cancellationToken);
            }
        }

        var dataset = step.Spec.Dataset is { } reference
            ? state.Datasets.Get(ResourceKeys.Of(reference.Namespace ?? step.Metadata.NamespaceProperty, reference.Name))
            : null;
        if (step.Spec.Dataset is { } wanted && dataset is null)
        {
            return await WaitForMissingAsync(step, "DatasetNotFound", $"Dataset {wanted.Name} does not exist (yet); create it, or fix spec.dataset.name.", cancellationToken);
        }

        if (dataset is not null && dataset.Status.Runtimes.Count > 0 && dataset.Status.Phase != DatasetPhase.Bound)
        {
            return await WaitAsync(step, "DatasetNotBound", $"Waiting for dataset {dataset.Metadata.Name} to be Bound (it is {dataset.Status.Phase}).", null, cancellationToken);
        }

        Scheduling.StepPlacement decision;
        try
        {
            lock (_placement)
            {
                decision = planner.Schedule(step, dataset, predecessor, RunningSteps());
                if (decision.Scheduled)
                {
                    var placed = step.Clone();
                    placed.Status.NodeName = decision.Node;
                    _placed[key] = placed;
                }
            }
        }
        catch (StepPlanException ex)
        {
            return await FinishAsync(step, OperationPhase.Failed, null, StepPlanException.Reason, ex.Message, null, null, cancellationToken);
        }

        if (!decision.Scheduled)
        {
            var waiting = step.Clone();
            waiting.Status.Scheduling = StepPlanner.Record(decision);
            await SetWaitingAsync(step, waiting, "Unschedulable", decision.Reason, cancellationToken);
            return unschedulableRetry;
        }

        try
        {
            return await LaunchAsync(key, step, dataset, decision, cancellationToken);
        }
        finally
        {
            if (!_running.ContainsKey(key))
            {
                _placed.TryRemove(key, out _);
            }
        }
    }

    private async Task<TimeSpan?> LaunchAsync(
        string key, DataProcess step, Dataset? dataset, Scheduling.StepPlacement decision, CancellationToken cancellationToken)
    {
        var attempt = Attempt(step) + 1;
        StepLaunch launch;
        try
        {
            launch = planner.Launch(step, dataset, decision.Node!, attempt);
        }
        catch (StepPlanException ex)
        {
            return await FinishAsync(step, OperationPhase.Failed, null, StepPlanException.Reason, ex.Message, null, null, cancellationToken);
        }

        if (launch.Validate().Append(planner.ImageProblem(step, decision.Node!)).OfType<string>().ToArray() is { Length: > 0 } problems)
        {
            return await FinishAsync(step, OperationPhase.Failed, null, "InvalidLaunch", string.Join(" ", problems), null, null, cancellationToken);
        }

        // Executing is written before the process starts: a controller that dies in between re-attaches, or runs
        // the attempt again, but never loses track of a step that runs.
        var executing = step.Clone();
        var status = executing.Status;
        status.Phase = OperationPhase.Executing;
        status.NodeName = decision.Node;
        status.Scheduling = StepPlanner.Record(decision);
        // A Cron run records the time it was due, as Kubernetes' CronJob does; the next is counted from there.
        var now = state.Clock.GetUtcNow();
        status.LastScheduleTime = step.Spec.Policy == OperationPolicy.Cron && NextRun(step) is { } due && due <= now ? due : now;
        status.ExitCode = null;
        status.LogTail = null;
        status.Duration = null;
        status.Infos[AttemptInfo] = attempt.ToString(CultureInfo.InvariantCulture);
        // The run claims the event: both are in one write, so that the event runs once, whoever dies when.
        if (status.Conditions.Find(TriggeredCondition) is { } trigger)
        {
            status.Infos[TriggerInfo] = trigger.Message ?? trigger.Reason ?? "";
            status.Conditions.Remove(trigger);
        }

        status.Conditions.Remove(OperationConditions.Waiting);
        var written = await state.Store.UpdateStatusAsync(executing, cancellationToken);
        await state.Events.NormalAsync(written, "Scheduled", $"Scheduled on {decision.Node}: {decision.Reason}", cancellationToken);
        var execution = await executor.StartAsync(launch, CancellationToken.None);
        Track(key, execution);
        await state.Events.NormalAsync(written, "Started", $"Attempt {attempt} started on {decision.Node} as pod {execution.PodName}.", cancellationToken);
        return null;
    }

    private async Task<TimeSpan?> FollowAsync(string key, DataProcess step, CancellationToken cancellationToken)
    {
        if (!_running.TryGetValue(key, out var execution))
        {
            var dataset = step.Spec.Dataset is { } reference ? state.Datasets.Get(ResourceKeys.Of(reference.Namespace ?? step.Metadata.NamespaceProperty, reference.Name)) : null;
            var launch = planner.Launch(step, dataset, step.Status.NodeName ?? "", Math.Max(1, Attempt(step)));
            execution = await executor.TryReattachAsync(launch, cancellationToken);
            if (execution is null)
            {
                // Written as Executing by a controller that died before it could start the process.
                var reset = step.Clone();
                reset.Status.Phase = OperationPhase.Pending;
                Rearm(reset);
                await state.Store.UpdateStatusAsync(reset, cancellationToken);
                return null;
            }

            logger.LogInformation("Re-attached to {Step}, started by an earlier controller as pod {Pod}.", step, execution.PodName);
            Track(key, execution);
        }

        if (!execution.Completion.IsCompleted)
        {
            return null;
        }

        _running.TryRemove(key, out _);
        _placed.TryRemove(key, out _);
        var outcome = await execution.Completion;
        if (outcome.Status == StepStatus.Lost)
        {
            await state.Events.WarningAsync(step, "Lost", $"Attempt {Attempt(step)} was lost ({outcome.Reason}); running the step again.", cancellationToken);
            var again = step.Clone();
            again.Status.Phase = OperationPhase.Pending;
            Rearm(again);
            await state.Store.UpdateStatusAsync(again, cancellationToken);
            return null;
        }

        if (outcome.Status == StepStatus.Detached)
        {
            return null;
        }

        var tail = outcome.Succeeded ? null : string.Join('\n', outcome.LogTail);
        return await FinishAsync(step, outcome.Succeeded ? OperationPhase.Complete : OperationPhase.Failed, outcome.ExitCode,
            outcome.Succeeded ? "Succeeded" : outcome.Status.ToString(), outcome.Reason, tail, outcome.Duration, cancellationToken);
    }

    private async Task<TimeSpan?> AfterFinishAsync(string key, DataProcess step, CancellationToken cancellationToken)
    {
        var policy = step.Spec.Policy ?? OperationPolicy.Once;
        var now = state.Clock.GetUtcNow();
        if ((policy == OperationPolicy.Cron && NextRun(step) is { } due && due <= now) || (policy == OperationPolicy.OnEvent && IsTriggered(step)))
        {
            var again = step.Clone();
            again.Status.Phase = OperationPhase.Pending;
            await state.Store.UpdateStatusAsync(again, cancellationToken);
            return null;
        }

        var finishedAt = step.Status.Conditions.Find(OperationConditions.Complete)?.LastTransitionTime;
        if (step.Spec.TtlSecondsAfterFinished is { } ttl && finishedAt is { } finished)
        {
            var expiry = finished + TimeSpan.FromSeconds(ttl);
            if (expiry <= now)
            {
                await state.Events.NormalAsync(step, "Expired", $"Deleted {ttl} s after it finished (ttlSecondsAfterFinished).", cancellationToken);
                try
                {
                    await state.Store.DeleteAsync<DataProcess>(step.Metadata.Name, step.Metadata.NamespaceProperty, cancellationToken);
                }
                catch (ResourceNotFoundException)
                {
                    // Deleted meanwhile.
                }

                return null;
            }

            return Min(expiry - now, policy == OperationPolicy.Cron ? NextRun(step) - now : null);
        }

        return policy == OperationPolicy.Cron && NextRun(step) is { } next ? next - now : null;
    }

    private async Task<TimeSpan?> FinishAsync(
        DataProcess step, OperationPhase phase, int? exitCode, string reason, string message, string? logTail, TimeSpan? duration, CancellationToken cancellationToken)
    {
        var finished = step.Clone();
        var status = finished.Status;
        var now = state.Clock.GetUtcNow();
        status.Phase = phase;
        status.ExitCode = exitCode;
        status.LogTail = logTail;
        status.Duration = duration;
        if (phase == OperationPhase.Complete)
        {
            status.LastSuccessfulTime = now;
        }

        status.Conditions.Remove(OperationConditions.Waiting);
        status.Conditions.Set(new Condition
        {
            Type = OperationConditions.Complete,
            Status = phase == OperationPhase.Complete ? ConditionStatus.True : ConditionStatus.False,
            Reason = reason,
            Message = message,
        }, now);
        status.Conditions.Find(OperationConditions.Complete)!.LastTransitionTime = now;
        var written = await state.Store.UpdateStatusAsync(finished, cancellationToken);
        if (phase == OperationPhase.Complete)
        {
            await state.Events.NormalAsync(written, "Completed", $"{message} on {status.NodeName} in {duration?.TotalSeconds:0.###} s.", cancellationToken);
        }
        else
        {
            await state.Events.WarningAsync(written, "Failed", message, cancellationToken);
        }

        return null;
    }

    /// <summary>Records why a step waits, once; the step comes back when what it waits for changes, or after <paramref name="retry"/>.</summary>
    private async Task<TimeSpan?> WaitAsync(DataProcess step, string reason, string message, TimeSpan? retry, CancellationToken cancellationToken)
    {
        await SetWaitingAsync(step, step.Clone(), reason, message, cancellationToken);
        return retry;
    }

    /// <summary>
    /// Waits for a step or dataset that the step names but that does not exist: it may be created shortly (a flow's
    /// steps are created one by one), so the step fails only when it has been missing for the grace period.
    /// </summary>
    private async Task<TimeSpan?> WaitForMissingAsync(DataProcess step, string reason, string message, CancellationToken cancellationToken)
    {
        var now = state.Clock.GetUtcNow();
        var waiting = step.Status.Conditions.Find(OperationConditions.Waiting);
        var since = waiting?.Reason == reason && waiting.LastTransitionTime is { } then ? then : now;
        var deadline = since + missingReferenceGrace;
        if (deadline <= now)
        {
            return await FinishAsync(step, OperationPhase.Failed, null, reason,
                $"{message} Gave up after waiting {missingReferenceGrace.TotalSeconds:0.###} s (Fluid:Controller:MissingReferenceGraceSeconds).", null, null, cancellationToken);
        }

        // A new reason restarts the clock: the condition is replaced, not updated, so that its transition time is now.
        var updated = step.Clone();
        if (waiting?.Reason != reason)
        {
            updated.Status.Conditions.Remove(OperationConditions.Waiting);
        }

        await SetWaitingAsync(step, updated, reason, $"{message} Fails at {deadline:u} unless it appears.", cancellationToken);
        return deadline - now;
    }

    private ValueTask<string?> FindCycleAsync(DataProcess step, CancellationToken cancellationToken) =>
        RunAfterChain.FindCycleAsync(step, (kind, ns, name, _) =>
            ValueTask.FromResult<IOperation?>(kind == ResourceKinds.DataProcess ? state.Processes.Get(ResourceKeys.Of(ns, name)) : null), cancellationToken);

    private async Task SetWaitingAsync(DataProcess step, DataProcess waiting, string reason, string message, CancellationToken cancellationToken)
    {
        waiting.Status.Phase = OperationPhase.Pending;
        var changed = waiting.Status.Conditions.Set(new Condition { Type = OperationConditions.Waiting, Status = ConditionStatus.True, Reason = reason, Message = message },
            state.Clock.GetUtcNow());
        var written = await state.Store.WriteStatusIfChangedAsync(step, waiting, p => p.Status, cancellationToken);
        if (changed && written != step && reason is not ("WaitingForPredecessor" or "Scheduled"))
        {
            await state.Events.NormalAsync(written, reason, message, cancellationToken);
        }
    }

    private void Track(string key, StepExecution execution)
    {
        _running[key] = execution;
        _ = execution.Completion.ContinueWith(_ => Enqueue(key), TaskScheduler.Default);
    }

    private async Task CancelAsync(string key, string why)
    {
        _placed.TryRemove(key, out _);
        if (_running.TryRemove(key, out var execution) && !execution.Completion.IsCompleted)
        {
            logger.LogInformation("Stopping {Step}: it was {Why}.", key, why);
            await execution.CancelAsync();
        }
    }

    /// <summary>Enqueues the steps that run after <paramref name="step"/>, which has just ended.</summary>
    public void WakeDependents(DataProcess step)
    {
        foreach (var dependent in state.Processes.List())
        {
            if (dependent.Spec.RunAfter is { } after && after.Name == step.Metadata.Name
                && (after.Namespace ?? dependent.Metadata.NamespaceProperty) == step.Metadata.NamespaceProperty)
            {
                Enqueue(ResourceKeys.Of(dependent));
            }
        }
    }

    /// <summary>Enqueues the steps that wait for room on a node: a step that held some has just ended.</summary>
    public void WakeUnschedulable()
    {
        foreach (var waiting in state.Processes.List())
        {
            if (waiting.Status.Phase is null or OperationPhase.Pending
                && waiting.Status.Conditions.Find(OperationConditions.Waiting) is { Reason: "Unschedulable" })
            {
                Enqueue(ResourceKeys.Of(waiting));
            }
        }
    }

    /// <summary>The steps that hold room on their nodes: those placed here, and those re-attached after a restart.</summary>
    private List<DataProcess> RunningSteps()
    {
        var running = new List<DataProcess>(_placed.Values);
        foreach (var key in _running.Keys)
        {
            if (!_placed.ContainsKey(key) && state.Processes.Get(key) is { } step)
            {
                running.Add(step);
            }
        }

        return running;
    }

    /// <summary>Writes an event the step waits for into its status; an event already waiting there is replaced: the two make one run.</summary>
    private async Task<DataProcess> RecordTriggerAsync(DataProcess step, SeenEvent seen, CancellationToken cancellationToken)
    {
        var triggered = step.Clone();
        var changed = triggered.Status.Conditions.Set(
            new Condition { Type = TriggeredCondition, Status = ConditionStatus.True, Reason = seen.Kind, Message = seen.What }, state.Clock.GetUtcNow());
        return changed ? await state.Store.UpdateStatusAsync(triggered, cancellationToken) : step;
    }

    /// <summary>Whether an event the step waits for has been recorded and not yet run.</summary>
    private static bool IsTriggered(DataProcess step) => step.Status.Conditions.IsTrue(TriggeredCondition);

    /// <summary>
    /// Puts back the event of an OnEvent step's attempt that will run again (its pod never started, or was lost): the
    /// attempt's write consumed it, and without it the step would wait for the next event instead.
    /// </summary>
    private void Rearm(DataProcess step)
    {
        if (step.Spec.Policy == OperationPolicy.OnEvent && step.Status.Infos.TryGetValue(TriggerInfo, out var what) && !IsTriggered(step))
        {
            step.Status.Conditions.Set(
                new Condition { Type = TriggeredCondition, Status = ConditionStatus.True, Reason = "AttemptRepeated", Message = what }, state.Clock.GetUtcNow());
        }
    }

    /// <summary>The next time a Cron step is due: after its last run, or after it was created (now, by the controller's clock, if it has no creation time).</summary>
    private DateTimeOffset? NextRun(DataProcess step)
    {
        if (step.Spec.Schedule is not { Length: > 0 } schedule)
        {
            return null;
        }

        var from = step.Status.LastScheduleTime ?? step.Metadata.CreationTimestamp ?? state.Clock.GetUtcNow();
        var fields = schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var expression = CronExpression.Parse(schedule, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        return expression.GetNextOccurrence(from, TimeZoneInfo.Utc);
    }

    private static int Attempt(DataProcess step) =>
        step.Status.Infos.TryGetValue(AttemptInfo, out var attempt) && int.TryParse(attempt, CultureInfo.InvariantCulture, out var value) ? value : 0;

    private static string Describe(OnEventTrigger? trigger) => trigger switch
    {
        { ObjectPut: { } name } => $"an object named '{name}' is put into the object store (persisted)",
        { DatasetPhase: { } phase } => $"dataset {phase.Name} becomes {phase.Phase}",
        _ => "its event happens",
    };

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;

    /// <summary>An event seen for a step: its kind (a CamelCase word) and what happened.</summary>
    private sealed record SeenEvent(string Kind, string What);
}
