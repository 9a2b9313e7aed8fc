using Fluid.Aspire.Controller.Pods;
using Fluid.Aspire.Execution;
using k8s.Models;

namespace Fluid.Aspire.Controller.Tests.Pods;

/// <summary>What a step's pod says of its end, as a cluster's kubelet writes it, in words a user can act on.</summary>
public sealed class PodOutcomesTests
{
    private static V1Pod Pod(string phase, V1ContainerState state, string? reason = null, string? message = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "train-1-abcde", NamespaceProperty = "ml" },
        Spec = new V1PodSpec
        {
            Containers =
            [
                new V1Container
                {
                    Name = "step", Image = "registry.example/train:9",
                    Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("2Gi") } },
                },
            ],
        },
        Status = new V1PodStatus { Phase = phase, Reason = reason, Message = message, ContainerStatuses = [new V1ContainerStatus { Name = "step", State = state }] },
    };

    [Fact]
    public void A_container_killed_for_its_memory_failed_and_says_which_limit_to_raise()
    {
        var outcome = PodOutcomes.Of(Pod("Failed", new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 137, Reason = "OOMKilled" } }), [])!;

        Assert.Equal(StepStatus.Failed, outcome.Status);
        Assert.Equal(137, outcome.ExitCode);
        Assert.Equal("killed for using more than its memory limit of 2Gi (OOMKilled, exit code 137); raise spec.resources.limits.memory, or use less", outcome.Reason);
    }

    [Fact]
    public void A_pod_its_node_evicted_is_lost_so_that_the_step_runs_again()
    {
        var pod = Pod("Failed", new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 137, Reason = "Error" } },
            reason: "Evicted", message: "The node was low on resource: memory.");

        var outcome = PodOutcomes.Of(pod, [])!;

        Assert.Equal(StepStatus.Lost, outcome.Status);
        Assert.Null(outcome.ExitCode);
        Assert.Equal("its node ended the pod (Evicted: The node was low on resource: memory.); whether the step did its work is unknown", outcome.Reason);
    }

    [Fact]
    public void An_image_the_node_cannot_pull_fails_the_start_once_the_kubelet_backs_off()
    {
        var firstTry = Pod("Pending", new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ErrImagePull", Message = "not found" } });
        var backingOff = Pod("Pending", new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ImagePullBackOff", Message = "Back-off pulling image" } });
        var creating = Pod("Pending", new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } });

        var outcome = PodOutcomes.NeverStarting(backingOff)!;

        Assert.Null(PodOutcomes.NeverStarting(firstTry));
        Assert.Null(PodOutcomes.NeverStarting(creating));
        Assert.Null(PodOutcomes.Of(backingOff, []));
        Assert.Equal(StepStatus.FailedToStart, outcome.Status);
        Assert.Equal("could not start: ImagePullBackOff (Back-off pulling image); check the step's image (registry.example/train:9: processor.command.image " +
            "or processor.method.image) and that the node can pull it (imagePullSecrets for a private registry)", outcome.Reason);
    }

    [Fact]
    public void A_container_that_cannot_be_created_names_what_to_check()
    {
        var pod = Pod("Pending", new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "CreateContainerConfigError", Message = "secret \"s3\" not found" } });

        var outcome = PodOutcomes.NeverStarting(pod)!;

        Assert.Equal(StepStatus.FailedToStart, outcome.Status);
        Assert.StartsWith("could not start: CreateContainerConfigError (secret \"s3\" not found); check what the pod refers to", outcome.Reason, StringComparison.Ordinal);
    }
}
