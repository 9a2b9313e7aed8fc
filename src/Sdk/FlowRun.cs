using System.Diagnostics;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Operations;

namespace Fluid.Sdk;

/// <summary>A step of a run as it stands: phase, node, outcome and, for a failure, why and the end of its log.</summary>
public sealed record StepReport(string Name, OperationPhase Phase, string? Node, int? ExitCode, TimeSpan? Duration, string? Reason, string? LogTail)
{
    /// <summary>The step no longer exists (deleted by someone, or by its ttlSecondsAfterFinished).</summary>
    public bool Deleted { get; init; }
}

/// <summary>A flow that runs: follow its steps and wait for it.</summary>
public sealed class FlowRun
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private readonly FluidClient _client;
    private readonly Activity? _activity;

    internal FlowRun(FluidClient client, string @namespace, string runId, IReadOnlyList<string> steps, Activity? activity)
    {
        _client = client;
        _activity = activity;
        Namespace = @namespace;
        RunId = runId;
        StepNames = steps;
    }

    public string Namespace { get; }

    public string RunId { get; }

    public IReadOnlyList<string> StepNames { get; }

    /// <summary>Every step's state, in flow order.</summary>
    public async Task<IReadOnlyList<StepReport>> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var reports = new List<StepReport>();
        foreach (var name in StepNames)
        {
            var step = await _client.Store.GetAsync<DataProcess>(name, Namespace, cancellationToken);
            var status = step?.Status;
            var condition = status?.Conditions.Find(OperationConditions.Complete) ?? status?.Conditions.Find(OperationConditions.Waiting);
            reports.Add(new StepReport(name, status?.Phase ?? OperationPhase.Pending, status?.NodeName, status?.ExitCode, status?.Duration,
                step is null ? "deleted" : condition?.Message, status?.LogTail) { Deleted = step is null });
        }

        return reports;
    }

    /// <summary>
    /// Waits until every step is Complete. Throws <see cref="FlowFailedException"/> with the failing step's reason and
    /// log tail when one fails, and <see cref="TimeoutException"/> when a step takes longer than
    /// <paramref name="timeoutPerStep"/> (counted from when the step before it completed).
    /// </summary>
    public async Task<IReadOnlyList<StepReport>> WaitAsync(TimeSpan? timeoutPerStep = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var reports = await WaitForStepsAsync(timeoutPerStep, cancellationToken);
            _activity?.Dispose();
            return reports;
        }
        catch (Exception ex) when (ex is FlowFailedException or TimeoutException)
        {
            // The run's span ends with its outcome; a cancelled wait leaves it open for the next one.
            _activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            _activity?.Dispose();
            throw;
        }
    }

    private async Task<IReadOnlyList<StepReport>> WaitForStepsAsync(TimeSpan? timeoutPerStep, CancellationToken cancellationToken)
    {
        var limit = timeoutPerStep ?? TimeSpan.FromMinutes(30);
        var current = -1;
        var since = DateTime.UtcNow;
        while (true)
        {
            var reports = await GetStatusAsync(cancellationToken);
            if (reports.FirstOrDefault(r => r.Phase == OperationPhase.Failed) is { } failed)
            {
                throw new FlowFailedException(RunId, failed);
            }

            if (Stranded(reports) is { } stranded)
            {
                throw new FlowFailedException(RunId, stranded);
            }

            var done = reports.TakeWhile(r => r.Phase == OperationPhase.Complete).Count();
            if (done == reports.Count)
            {
                return reports;
            }

            if (done != current)
            {
                current = done;
                since = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - since > limit)
            {
                var stuck = reports[done];
                throw new TimeoutException(
                    $"Step {stuck.Name} of run {RunId} has not finished within {limit.TotalSeconds:0} s; it is {stuck.Phase}: {stuck.Reason ?? "no reason reported (is the controller running?)"}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>
    /// The step that can no longer run because a step was deleted before the one after it started: the controller
    /// would only give up after its grace period, but the run knows at once.
    /// </summary>
    private static StepReport? Stranded(IReadOnlyList<StepReport> reports)
    {
        for (var i = 0; i < reports.Count; i++)
        {
            if (!reports[i].Deleted)
            {
                continue;
            }

            if (i == reports.Count - 1)
            {
                return reports[i] with { Phase = OperationPhase.Failed, Reason = "the step was deleted before it completed" };
            }

            if (reports[i + 1].Phase == OperationPhase.Pending)
            {
                return reports[i + 1] with
                {
                    Phase = OperationPhase.Failed,
                    Reason = $"it runs after step {reports[i].Name}, which was deleted before it started; run the flow again",
                };
            }
        }

        return null;
    }
}

/// <summary>A step of a run failed; the message has its reason and the end of its log.</summary>
public sealed class FlowFailedException : Exception
{
    public FlowFailedException(string runId, StepReport step)
        : base($"Run {runId} failed at step {step.Name}{(step.Node is null ? "" : $" on {step.Node}")}: {step.Reason}" +
            (string.IsNullOrEmpty(step.LogTail) ? "" : $"\n--- end of its log ---\n{step.LogTail}"))
    {
        Step = step;
    }

    public FlowFailedException()
        : this("", new StepReport("", OperationPhase.Failed, null, null, null, null, null))
    {
    }

    public FlowFailedException(string message)
        : base(message)
    {
        Step = new StepReport("", OperationPhase.Failed, null, null, null, message, null);
    }

    public FlowFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Step = new StepReport("", OperationPhase.Failed, null, null, null, message, null);
    }

    public StepReport Step { get; } = null!;
}
