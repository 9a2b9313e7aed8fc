using Fluid.Aspire.Execution;
using k8s.Models;

namespace Fluid.Aspire.Controller.Pods;

/// <summary>How a step pod ended, read from its status as the node's kubelet wrote it.</summary>
public static class PodOutcomes
{
    /// <summary>What a kubelet says of a container it cannot start, and will not without a change: an image it cannot pull, a container it cannot create.</summary>
    private static readonly HashSet<string> StartFailures = new(StringComparer.Ordinal)
    {
        "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError",
    };

    /// <summary>The reason of a pod whose node went away (written by <see cref="LostNodePods"/>); its kubelet serves no log.</summary>
    public const string NodeLost = "NodeLost";

    /// <summary>Why a pod ended without its step ending: its node went away or put it out. The step runs again.</summary>
    private static readonly HashSet<string> NodeEndings = new(StringComparer.Ordinal) { "Evicted", NodeLost, "Shutdown", "Terminated" };

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
            (_, "StartError" or "ContainerCannotRun") => StepStatus.FailedToStart,
            (_, "Unknown") => StepStatus.Lost,
            ({ } podReason, _) when NodeEndings.Contains(podReason) => StepStatus.Lost,
            _ => StepStatus.Failed,
        };
        // The container's message is the node's own words ("killed after the 30 s timeout"); the pod's is Kubernetes'.
        var reason = terminated?.Reason == "OOMKilled" ? OutOfMemory(pod, terminated)
            : kind == StepStatus.Lost && status.Reason is { } ending && NodeEndings.Contains(ending)
                ? $"its node ended the pod ({ending}: {status.Message ?? "no message"}); whether the step did its work is unknown"
            : terminated?.Message ?? status.Message ?? (terminated is null ? "the pod failed" : $"exited with code {terminated.ExitCode}");
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

    /// <summary>
    /// The outcome of a pod whose container its kubelet cannot start and will keep failing to (an image that
    /// cannot be pulled, a container that cannot be created); null while it may still start.
    /// </summary>
    public static StepOutcome? NeverStarting(V1Pod pod)
    {
        if (pod.Status?.Phase is not (null or "Pending")
            || pod.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting is not { Reason: { } reason } waiting
            || !StartFailures.Contains(reason))
        {
            return null;
        }

        var image = pod.Spec?.Containers?.FirstOrDefault()?.Image;
        var fix = reason is "CreateContainerConfigError" or "CreateContainerError"
            ? "check what the pod refers to (Secrets, ConfigMaps, volumes) with kubectl describe pod"
            : $"check the step's image ({image ?? "none"}: processor.command.image or processor.method.image) and that the node can pull it (imagePullSecrets for a private registry)";
        return new StepOutcome
        {
            Status = StepStatus.FailedToStart,
            Reason = $"could not start: {reason}{(string.IsNullOrEmpty(waiting.Message) ? "" : $" ({waiting.Message})")}; {fix}",
        };
    }

    private static string OutOfMemory(V1Pod pod, V1ContainerStateTerminated terminated)
    {
        var limit = pod.Spec?.Containers?.FirstOrDefault()?.Resources?.Limits?.TryGetValue("memory", out var memory) == true ? $" of {memory}" : "";
        return $"killed for using more than its memory limit{limit} (OOMKilled, exit code {terminated.ExitCode}); raise spec.resources.limits.memory, or use less";
    }
}
