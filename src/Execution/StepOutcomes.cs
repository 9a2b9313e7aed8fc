using System.Globalization;

namespace Fluid.Aspire.Execution;

/// <summary>Why the executor stopped an attempt, if it did.</summary>
internal enum StopReason
{
    None,
    Timeout,
    Cancellation,
}

/// <summary>Turns what is known about an ended attempt into a <see cref="StepOutcome"/> and its reason in words.</summary>
internal static class StepOutcomes
{
    /// <summary>The hint that ends every "could not start" reason: where the user fixes the command.</summary>
    public const string CommandHint = "(check processor.command)";

    public static StepOutcome CouldNotStart(string problem, TimeSpan duration = default) => new()
    {
        Status = StepStatus.FailedToStart,
        Duration = duration,
        Reason = $"could not start: {problem}",
    };

    /// <summary>The outcome of an attempt whose wrapper has ended.</summary>
    public static StepOutcome Ended(
        ExitRecord? exit,
        StopReason stop,
        bool escalated,
        TimeSpan? timeout,
        TimeSpan duration,
        IReadOnlyList<string> tail,
        string lostDetail)
    {
        if (exit is null)
        {
            return stop switch
            {
                StopReason.Timeout => new StepOutcome { Status = StepStatus.TimedOut, Duration = duration, LogTail = tail, Reason = TimedOutReason(timeout, escalated) },
                StopReason.Cancellation => new StepOutcome { Status = StepStatus.Cancelled, Duration = duration, LogTail = tail, Reason = CancelledReason(escalated) },
                _ => new StepOutcome { Status = StepStatus.Lost, Duration = duration, LogTail = tail, Reason = $"lost: {lostDetail}" },
            };
        }

        if (exit.Aborted)
        {
            return new StepOutcome
            {
                Status = StepStatus.FailedToStart,
                Duration = duration,
                LogTail = tail,
                Reason = "could not start: the controller that launched the step stopped before confirming the launch; nothing ran, so it is safe to run again",
            };
        }

        if (exit.ExecFailed)
        {
            var message = tail.LastOrDefault(StepLog.IsError) is { } line ? ExecErrorOf(StepLog.TextOf(line)) : $"the command could not be executed (status {exit.Status})";
            return new StepOutcome
            {
                Status = StepStatus.FailedToStart,
                ExitCode = exit.Status,
                Duration = duration,
                LogTail = tail,
                Reason = $"could not start: {message} {CommandHint}",
            };
        }

        // As shells, Docker and Kubernetes do: a status above 128 means that signal (status - 128) killed the step.
        int? signal = exit.Status is > 128 and <= 128 + 64 ? exit.Status - 128 : null;
        var (status, reason) = stop switch
        {
            StopReason.Timeout => (StepStatus.TimedOut, TimedOutReason(timeout, escalated)),
            StopReason.Cancellation => (StepStatus.Cancelled, CancelledReason(escalated)),
            _ when exit.Status == 0 => (StepStatus.Succeeded, "exited with code 0"),
            _ when signal is { } number => (StepStatus.Failed, $"killed by {SignalName(number)} (exit status {exit.Status})"),
            _ => (StepStatus.Failed, $"exited with code {exit.Status}"),
        };
        return new StepOutcome { Status = status, ExitCode = exit.Status, Signal = signal, Duration = duration, LogTail = tail, Reason = reason };
    }

    public static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        _ => $"signal {signal}",
    };

    /// <summary>"30 s", "1.5 s", "2 min", "1 h 30 min": how durations read in reasons.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration < TimeSpan.FromMinutes(2))
        {
            return $"{duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
        }

        if (duration < TimeSpan.FromHours(2) && duration.Seconds == 0)
        {
            return $"{(int)duration.TotalMinutes} min";
        }

        return duration < TimeSpan.FromHours(2)
            ? $"{(int)duration.TotalSeconds} s"
            : $"{(int)duration.TotalHours} h {duration.Minutes} min";
    }

    private static string TimedOutReason(TimeSpan? timeout, bool escalated) =>
        $"killed after the {(timeout is { } t ? Format(t) : "configured")} timeout" + (escalated ? " (it ignored SIGTERM: SIGKILL after the grace period)" : "");

    private static string CancelledReason(bool escalated) =>
        "cancelled" + (escalated ? " (it ignored SIGTERM: SIGKILL after the grace period)" : "");

    /// <summary>bash's "fluid-step: line 9: exec: ./x: cannot execute: Permission denied" without what names the wrapper.</summary>
    private static string ExecErrorOf(string text)
    {
        const string Prefix = "fluid-step: line ";
        if (text.StartsWith(Prefix, StringComparison.Ordinal) && text.IndexOf(": ", Prefix.Length, StringComparison.Ordinal) is var colon and > 0)
        {
            text = text[(colon + 2)..];
        }

        return text.StartsWith("exec: ", StringComparison.Ordinal) ? text["exec: ".Length..] : text;
    }
}
