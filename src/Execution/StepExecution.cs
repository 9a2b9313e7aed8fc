namespace Fluid.Aspire.Execution;

/// <summary>A started (or re-attached) attempt of a step: where it runs, and its end when it comes.</summary>
public abstract class StepExecution
{
    public required string Namespace { get; init; }

    public required string StepName { get; init; }

    public required string RunId { get; init; }

    public required int Attempt { get; init; }

    /// <summary>
    /// The step's main process, which leads the step's own process group (so it is also the group id). Null when
    /// there is no local process: it could not start, or the executor runs steps elsewhere.
    /// </summary>
    public int? ProcessId { get; init; }

    /// <summary>The pod that runs the attempt, when an executor runs steps as pods; null for a local process.</summary>
    public string? PodName { get; init; }

    /// <summary>When the attempt was started (by whichever controller process started it).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The step's log, readable while it runs; attempts append to it, each after a header line.</summary>
    public string? LogPath { get; init; }

    /// <summary>Whether this handle follows an attempt found by <see cref="IStepExecutor.TryReattachAsync"/> rather than started by this executor.</summary>
    public bool IsReattached { get; init; }

    /// <summary>
    /// Completes when the attempt has ended and nothing of it runs any more, with how it ended. It does not fault:
    /// every way to end (including could not start, lost, detached) is an outcome.
    /// </summary>
    public abstract Task<StepOutcome> Completion { get; }

    /// <summary>
    /// Stops the attempt as the executor stops it on timeout (for a process: SIGTERM to its whole process group,
    /// SIGKILL after the grace period) and returns once it has ended. Does nothing if it has ended already.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the end; the stop itself goes on.</param>
    public abstract Task CancelAsync(CancellationToken cancellationToken = default);
}
