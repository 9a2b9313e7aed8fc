using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Execution;

/// <summary>
/// A running attempt of <see cref="LocalProcessExecutor"/>: started by it (then the wrapper is this process's
/// child, and its end is observed directly) or re-attached (then the wrapper is checked in /proc every
/// <see cref="LocalExecutorOptions.ReattachPollInterval"/>). Either way the attempt has ended when its wrapper has,
/// and the wrapper's exit record says how.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The detach source has no timer, so it holds nothing to release; handles are never disposed by their users.")]
internal sealed class LocalStepExecution : StepExecution
{
    /// <summary>How long a wrapper may take to end after SIGKILL reached the step's group (its readers drain for up to 2 s).</summary>
    private static readonly TimeSpan WrapperDrainLimit = TimeSpan.FromSeconds(5);

    private readonly StepFiles _files;
    private readonly Process? _child;
    private readonly TimeSpan? _timeout;
    private readonly LocalExecutorOptions _options;
    private readonly ILogger _logger;
    private readonly Action<LocalStepExecution> _ended;
    private readonly CancellationTokenSource _detach = new();
    private readonly TaskCompletionSource _begun = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly Task<StepOutcome> _completion;
    private AttemptRecord _record;
    private StopReason _stop;
    private volatile bool _wrapperEnded;
    private Task? _stopping;
    private volatile bool _escalated;

    /// <summary>Follows the attempt of <paramref name="record"/>; <paramref name="child"/> is its wrapper if this process started it, null when re-attached.</summary>
    public LocalStepExecution(
        StepFiles files,
        AttemptRecord record,
        Process? child,
        TimeSpan? timeout,
        LocalExecutorOptions options,
        ILogger logger,
        Action<LocalStepExecution> ended)
    {
        _files = files;
        _record = record;
        _child = child;
        _timeout = timeout;
        _options = options;
        _logger = logger;
        _ended = ended;
        _completion = FollowAsync();
    }

    public override Task<StepOutcome> Completion => _completion;

    public override async Task CancelAsync(CancellationToken cancellationToken = default)
    {
        _ = RequestStop(StopReason.Cancellation);
        await _completion.WaitAsync(cancellationToken);
    }

    /// <summary>Starts following the attempt; called once the executor has registered this handle.</summary>
    public void Begin() => _begun.TrySetResult();

    /// <summary>Stops following the attempt, which runs on; <see cref="Completion"/> ends with <see cref="StepStatus.Detached"/>.</summary>
    public async Task DetachAsync()
    {
        await _detach.CancelAsync();
        await _completion;
    }

    private bool WrapperRunning => !_wrapperEnded && (_child is not null
        ? !_child.HasExited
        : ProcessTable.IsRunning(_record.WrapperPid, _record.WrapperStartTicks, _record.BootId));

    private async Task<StepOutcome> FollowAsync()
    {
        // Nothing happens before the executor registered the handle: an attempt that ends at once would otherwise
        // unregister itself before it was registered.
        await _begun.Task;
        var ended = WaitForWrapperAsync(_detach.Token);

        // An earlier controller was stopping the attempt when it went: finish the stop (up to SIGKILL).
        if (_record.Stop is { } unfinished and not StopReason.None)
        {
            _ = RequestStop(unfinished);
        }

        if (_timeout is { } timeout)
        {
            // The timeout counts from the start of the attempt, also when re-attached by a later controller.
            using var timerStop = CancellationTokenSource.CreateLinkedTokenSource(_detach.Token);
            var timer = DelayUntilAsync(_record.StartedAt + timeout, timerStop.Token);
            if (await Task.WhenAny(ended, timer) == timer && timer.IsCompletedSuccessfully)
            {
                _ = RequestStop(StopReason.Timeout);
            }

            await timerStop.CancelAsync();
        }

        try
        {
            await ended;
            _wrapperEnded = true;
        }
        catch (OperationCanceledException) when (_detach.IsCancellationRequested)
        {
            return Detached();
        }

        Task? stopping;
        lock (_gate)
        {
            stopping = _stopping;
        }

        if (stopping is not null)
        {
            await stopping;
        }

        var outcome = Conclude();
        _child?.Dispose();
        _ended(this);
        _logger.LogInformation("Step {Namespace}/{Step} (run {RunId}, attempt {Attempt}): {Reason}.", Namespace, StepName, RunId, Attempt, outcome.Reason);
        return outcome;
    }

    /// <summary>Task.Delay takes at most about 49 days: wait in steps for longer timeouts.</summary>
    private static async Task DelayUntilAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        for (var remaining = deadline - DateTimeOffset.UtcNow; remaining > TimeSpan.Zero; remaining = deadline - DateTimeOffset.UtcNow)
        {
            await Task.Delay(remaining < TimeSpan.FromDays(1) ? remaining : TimeSpan.FromDays(1), cancellationToken);
        }
    }

    private async Task WaitForWrapperAsync(CancellationToken cancellationToken)
    {
        if (_child is not null)
        {
            await _child.WaitForExitAsync(cancellationToken);
            return;
        }

        // Not our child: no exit notification, so look. pidfd_open would notify, but this is rare (after a
        // controller restart) and a poll is simple.
        while (WrapperRunning)
        {
            await Task.Delay(_options.ReattachPollInterval, cancellationToken);
        }
    }

    private async Task<bool> WaitForWrapperAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await WaitForWrapperAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return false;
        }
    }

    private Task RequestStop(StopReason reason)
    {
        lock (_gate)
        {
            if (_stopping is not null)
            {
                return _stopping;
            }

            // Stopping what already ended would misreport how it ended (and could signal a reused group id).
            if (_completion.IsCompleted || !WrapperRunning)
            {
                return Task.CompletedTask;
            }

            _stop = reason;
            _stopping = StopAsync(reason);
            RecordStop(reason);
            return _stopping;
        }
    }

    /// <summary>SIGTERM to the step's group, SIGKILL after the grace period, and the wrapper itself as a last resort.</summary>
    private async Task StopAsync(StopReason reason)
    {
        await Task.Yield();
        var grace = _options.TerminationGracePeriod;
        var why = reason == StopReason.Timeout ? $"timeout of {StepOutcomes.Format(_timeout ?? TimeSpan.Zero)} reached" : "cancelled";
        _logger.LogWarning("Stopping step {Namespace}/{Step} (run {RunId}, attempt {Attempt}, pid {Pid}): {Why}.", Namespace, StepName, RunId, Attempt, ProcessId, why);
        TryNote($"=== {why}: SIGTERM to process group {_record.ProcessId}, SIGKILL after {StepOutcomes.Format(grace)} ===");
        Signal(_record.ProcessId, ProcessSignals.SigTerm);
        if (await WaitForWrapperAsync(grace))
        {
            return;
        }

        _escalated = true;
        TryNote($"=== still running after {StepOutcomes.Format(grace)}: SIGKILL to process group {_record.ProcessId} ===");
        Signal(_record.ProcessId, ProcessSignals.SigKill);
        if (await WaitForWrapperAsync(WrapperDrainLimit))
        {
            return;
        }

        // The wrapper should have ended moments after its step. If it hangs, end it (and its readers, in its group)
        // so that the attempt ends: without an exit record, the outcome still says it was stopped.
        _logger.LogWarning("The wrapper (pid {Pid}) of step {Namespace}/{Step} did not end after its step was killed; killing it.", _record.WrapperPid, Namespace, StepName);
        Signal(_record.WrapperPid, ProcessSignals.SigKill);
        await WaitForWrapperAsync(WrapperDrainLimit);
    }

    /// <summary>
    /// Notes the stop in the attempt record, so that a controller that re-attaches reports the right status and
    /// completes a stop this process could not finish.
    /// </summary>
    private void RecordStop(StopReason reason)
    {
        if (_record.Stop == reason)
        {
            return;
        }

        _record = _record with { Stop = reason };
        try
        {
            _record.Write(_files.Record);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Recording the stop of step {Namespace}/{Step} failed: {Message}", Namespace, StepName, ex.Message);
        }
    }

    private void Signal(int processGroup, int signal)
    {
        if (!WrapperRunning)
        {
            return;
        }

        try
        {
            ProcessSignals.SignalGroup(processGroup, signal);
        }
        catch (IOException ex)
        {
            _logger.LogWarning("{Message}", ex.Message);
        }
    }

    private StepOutcome Conclude()
    {
        ExitRecord? exit = null;
        IReadOnlyList<string> tail = [];
        try
        {
            exit = ExitRecord.TryRead(_files.Exit);
            tail = StepLog.ReadTail(_files.Log, _record.LogOffset, _options.LogTailLines, _options.LogTailBytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            _logger.LogWarning("Reading how step {Namespace}/{Step} ended failed: {Message}", Namespace, StepName, ex.Message);
        }

        var duration = (exit?.Ended ?? DateTimeOffset.UtcNow) - _record.StartedAt;
        var wrapperStatus = _child is { HasExited: true } ? $" (its exit status: {_child.ExitCode})" : "";
        return StepOutcomes.Ended(
            exit,
            _stop,
            _escalated,
            _timeout,
            duration < TimeSpan.Zero ? TimeSpan.Zero : duration,
            tail,
            $"the step's wrapper (pid {_record.WrapperPid}) ended without recording how the step ended{wrapperStatus}; it was " +
            $"probably killed. Whether the step did its work is unknown: see {_files.Log}");
    }

    private StepOutcome Detached()
    {
        if (_child is { } child)
        {
            // Keep the Process until the wrapper ends: .NET reaps only the children it still follows, and an
            // unreaped wrapper would stay a zombie for as long as this process lives.
            _ = child.WaitForExitAsync().ContinueWith(_ => child.Dispose(), TaskScheduler.Default);
        }

        return new StepOutcome
        {
            Status = StepStatus.Detached,
            Duration = DateTimeOffset.UtcNow - _record.StartedAt,
            Reason = $"detached: the executor was disposed while the step ran; it runs on as pid {_record.ProcessId}, and an executor can re-attach to it",
        };
    }

    private void TryNote(string text)
    {
        try
        {
            StepLog.Note(_files.Log, text);
        }
        catch (IOException ex)
        {
            _logger.LogWarning("Writing to the log of step {Namespace}/{Step} failed: {Message}", Namespace, StepName, ex.Message);
        }
    }
}

/// <summary>An attempt that had ended before it got a handle: it could not start, or it ended before re-attachment.</summary>
internal sealed class EndedStepExecution(StepOutcome outcome) : StepExecution
{
    public override Task<StepOutcome> Completion { get; } = Task.FromResult(outcome);

    public override Task CancelAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}
