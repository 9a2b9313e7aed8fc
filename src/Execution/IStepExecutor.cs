namespace Fluid.Aspire.Execution;

/// <summary>
/// Runs the attempts of pipeline steps somewhere: as local processes (<see cref="LocalProcessExecutor"/>) or, later,
/// as Kubernetes pods. An executor starts an attempt, follows it to its end, stops it on timeout or cancellation,
/// and recognizes attempts that a previous controller process started, so that they are not run twice.
/// </summary>
public interface IStepExecutor
{
    /// <summary>
    /// Starts an attempt of a step. Returns once it runs (or could not start: then <see cref="StepExecution.Completion"/>
    /// is already complete and says why); the returned handle follows it to its end.
    /// </summary>
    /// <param name="launch">What to run, where, and for which run.</param>
    /// <param name="cancellationToken">Aborts the start only; to stop the running step, use <see cref="StepExecution.CancelAsync"/>.</param>
    /// <exception cref="ArgumentException">The launch is invalid (the message lists every problem).</exception>
    /// <exception cref="InvalidOperationException">An earlier attempt of the same step still runs: re-attach to it, or cancel it first.</exception>
    Task<StepExecution> StartAsync(StepLaunch launch, CancellationToken cancellationToken);

    /// <summary>
    /// Finds the latest attempt of the step of <paramref name="launch"/>'s run started by this or an earlier
    /// controller process, and follows it. The handle's <see cref="StepExecution.Completion"/> is pending while the
    /// attempt still runs, and already complete when it finished (with its outcome) or was lost (status
    /// <see cref="StepStatus.Lost"/>: it ended without a trace of how; decide whether to run it again).
    /// </summary>
    /// <returns>Null if no attempt of this step was started for this run: starting one is safe.</returns>
    Task<StepExecution?> TryReattachAsync(StepLaunch launch, CancellationToken cancellationToken);
}
