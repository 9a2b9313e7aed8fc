using Fluid.Aspire.Execution;
using k8s.Models;

namespace Fluid.Aspire.CacheAgent.Kubelet;

/// <summary>
/// The statuses a kubelet writes for a pod: running, and how it ended, with the container's state as
/// <c>kubectl get pods</c> and <c>describe</c> read it. A simulated node's pods share the machine's network, so their
/// IP is the node's.
/// </summary>
public static class PodStatuses
{
    /// <summary>The pod's phase and reason when its deadline passed, as Kubernetes words them.</summary>
    public const string DeadlineExceeded = "DeadlineExceeded";

    public static V1PodStatus Running(V1Pod pod, string nodeAddress, DateTimeOffset startedAt) => new()
    {
        Phase = "Running",
        HostIP = nodeAddress,
        PodIP = nodeAddress,
        StartTime = startedAt.UtcDateTime,
        Conditions = Conditions(startedAt, ready: true),
        ContainerStatuses = [ContainerStatus(pod, new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = startedAt.UtcDateTime } })],
    };

    /// <summary>A pod that ended, or never started, with what the outcome says.</summary>
    public static V1PodStatus Ended(V1Pod pod, string nodeAddress, DateTimeOffset startedAt, StepOutcome outcome)
    {
        var finishedAt = startedAt + outcome.Duration;
        var timedOut = outcome.Status == StepStatus.TimedOut;
        return new V1PodStatus
        {
            Phase = outcome.Succeeded ? "Succeeded" : "Failed",
            Reason = timedOut ? DeadlineExceeded : null,
            Message = timedOut
                ? $"Pod was active on the node longer than the specified deadline ({pod.Spec.ActiveDeadlineSeconds} s)."
                : outcome.Succeeded ? null : outcome.Reason,
            HostIP = nodeAddress,
            PodIP = nodeAddress,
            StartTime = startedAt.UtcDateTime,
            Conditions = Conditions(startedAt, ready: false),
            ContainerStatuses =
            [
                ContainerStatus(pod, new V1ContainerState
                {
                    Terminated = new V1ContainerStateTerminated
                    {
                        // Kubernetes' exit code of a container that could not start; 128 + n for signal n.
                        ExitCode = outcome.ExitCode ?? (outcome.Status == StepStatus.FailedToStart ? 128 : 255),
                        Signal = outcome.Signal,
                        Reason = ReasonOf(outcome),
                        Message = outcome.Succeeded ? null : outcome.Reason,
                        StartedAt = startedAt.UtcDateTime,
                        FinishedAt = finishedAt.UtcDateTime,
                    },
                }),
            ],
        };
    }

    /// <summary>A pod this node cannot run, refused before anything started.</summary>
    public static V1PodStatus Refused(V1Pod pod, string nodeAddress, DateTimeOffset now, string problem) =>
        Ended(pod, nodeAddress, now, new StepOutcome { Status = StepStatus.FailedToStart, Reason = problem });

    /// <summary>The container's terminated reason, as a container runtime gives it.</summary>
    private static string ReasonOf(StepOutcome outcome) => outcome.Status switch
    {
        StepStatus.Succeeded => "Completed",
        StepStatus.FailedToStart => "StartError",
        StepStatus.TimedOut => DeadlineExceeded,
        StepStatus.Lost => "Unknown",
        _ => "Error",
    };

    /// <summary>The status of the pod's one container: ready while it runs. No image: the node runs programs directly.</summary>
    private static V1ContainerStatus ContainerStatus(V1Pod pod, V1ContainerState state) => new()
    {
        Name = pod.Spec.Containers is { Count: > 0 } containers ? containers[0].Name : "main",
        Image = "",
        ImageID = "",
        Ready = state.Running is not null,
        Started = state.Running is not null,
        RestartCount = 0,
        State = state,
    };

    private static List<V1PodCondition> Conditions(DateTimeOffset since, bool ready)
    {
        var at = since.UtcDateTime;
        var readiness = ready ? "True" : "False";
        return
        [
            new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = at },
            new V1PodCondition { Type = "Initialized", Status = "True", LastTransitionTime = at },
            new V1PodCondition { Type = "ContainersReady", Status = readiness, LastTransitionTime = at, Reason = ready ? null : "PodCompleted" },
            new V1PodCondition { Type = "Ready", Status = readiness, LastTransitionTime = at, Reason = ready ? null : "PodCompleted" },
        ];
    }
}
