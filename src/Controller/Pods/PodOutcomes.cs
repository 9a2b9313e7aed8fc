using Fluid.Aspire.Execution;
using k8s.Models;

namespace Fluid.Aspire.Controller.Pods;

/// <summary>How a step pod ended, read from its status as the node's kubelet wrote it.</summary>
public static class PodOutcomes
{
    /// <summary>The outcome of a pod that has ended (phase Succeeded or Failed); null while it has not.</summary>
    public static StepOutcome? Of(V1Pod pod, IReadOnlyList<string> logTail)
    {
        var status = pod.Status;
        if (status?.Phase is not ("Succeeded" or "Failed"))
        {
            return null;
        }

        var terminated = status.ContainerStatuses?.FirstOrDefault()?.State?.Terminated;
        var duration = terminated is { StartedAt: { } started, FinishedAt: { } finished } ? finished - started : TimeSpan.Zero;
        if (status.Phase == "Succeeded")
        {
            return new StepOutcome { Status = StepStatus.Succeeded, ExitCode = terminated?.ExitCode ?? 0, Duration = duration, LogTail = logTail, Reason = "exited with code 0" };
        }

        var kind = (status.Reason, terminated?.Reason) switch
        {
            ("DeadlineExceeded", _) or (_, "DeadlineExceeded") => StepStatus.TimedOut,
            (_, "StartError") => StepStatus.FailedToStart,
            (_, "Unknown") => StepStatus.Lost,
            _ => StepStatus.Failed,
        };
        // The container's message is the node's own words ("killed after the 30 s timeout"); the pod's is Kubernetes'.
        var reason = terminated?.Message ?? status.Message ?? (terminated is null ? "the pod failed" : $"exited with code {terminated.ExitCode}");
        return new StepOutcome
        {
            Status = kind,
            ExitCode = kind is StepStatus.FailedToStart or StepStatus.Lost ? null : terminated?.ExitCode,
            Signal = terminated?.Signal,
            Duration = duration,
            LogTail = logTail,
            Reason = kind == StepStatus.FailedToStart && !reason.StartsWith("could not start", StringComparison.Ordinal) ? $"could not start: {reason}" : reason,
        };
    }
}
