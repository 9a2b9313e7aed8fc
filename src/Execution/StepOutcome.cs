namespace Fluid.Aspire.Execution;

/// <summary>How an attempt of a step ended.</summary>
public enum StepStatus
{
    /// <summary>Exited with code 0.</summary>
    Succeeded,

    /// <summary>Exited with another code, or was killed by a signal nobody in Fluid sent (a crash, the OOM killer).</summary>
    Failed,

    /// <summary>Stopped by the executor when its timeout passed.</summary>
    TimedOut,

    /// <summary>Stopped by <see cref="StepExecution.CancelAsync"/>.</summary>
    Cancelled,

    /// <summary>Never ran: the command or working directory is missing, or not executable.</summary>
    FailedToStart,

    /// <summary>Ended without a record of how (its wrapper was killed, or the machine rebooted): it may or may not have done its work.</summary>
    Lost,

    /// <summary>
    /// Not ended: the executor that followed it was disposed while it ran. The step runs on; a new executor can
    /// re-attach to it.
    /// </summary>
    Detached,
}

/// <summary>The end of an attempt: status, exit code or signal, how long it ran, its last log lines, and why, in words.</summary>
public sealed class StepOutcome
{
    public required StepStatus Status { get; init; }

    /// <summary>
    /// The exit status as a shell reports it: the process's exit code, or 128 + n when signal n killed it. Null
    /// when there is none (never started, lost, detached).
    /// </summary>
    public int? ExitCode { get; init; }

    /// <summary>The signal that ended the process, if one did.</summary>
    public int? Signal { get; init; }

    /// <summary>From the start of the attempt to its end (or to when it was lost or detached).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>
    /// The last lines the attempt wrote to stdout and stderr, as in the log ("{time} out|err {text}"), oldest
    /// first, bounded by <see cref="LocalExecutorOptions.LogTailLines"/> and <see cref="LocalExecutorOptions.LogTailBytes"/>.
    /// </summary>
    public IReadOnlyList<string> LogTail { get; init; } = [];

    /// <summary>Why the attempt ended, for people: "exited with code 3", "killed after the 30 s timeout", "cancelled", "could not start: …".</summary>
    public required string Reason { get; init; }

    public bool Succeeded => Status == StepStatus.Succeeded;

    public bool TimedOut => Status == StepStatus.TimedOut;

    public bool Cancelled => Status == StepStatus.Cancelled;

    public override string ToString() => Reason;
}
