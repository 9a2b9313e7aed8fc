using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Controller.Pods;
using Fluid.Aspire.Execution;
using k8s.Models;

namespace Fluid.Aspire.Controller.Tests.Pods;

/// <summary>The pod of a step's attempt: where it is bound, what marks it as the step's, and what it runs.</summary>
public sealed class StepPodsTests
{
    private static StepLaunch Launch(string step = "train", string run = "nightly", int attempt = 2) => new()
    {
        Namespace = "ml",
        StepName = step,
        RunId = run,
        Attempt = attempt,
        NodeName = "node-1",
        Command = "dotnet",
        Arguments = ["train.dll", "--epochs", "3"],
        Environment = new Dictionary<string, string> { ["MODE"] = "fast", ["FLUID_STEP"] = "spoofed" },
        WorkingDirectory = "/data/housing",
        Timeout = TimeSpan.FromSeconds(90.5),
        Labels = new Dictionary<string, string> { ["fluid.io/run"] = run },
        Owner = new V1OwnerReference { ApiVersion = "data.fluid-aspire.io/v1alpha1", Kind = "DataProcess", Name = step, Uid = "uid-1", Controller = true },
        Context = new StepNodeContext { ObjectStoreSocket = "/var/run/fluid/node-1.sock" },
        Image = "registry.example/housing-steps:1.2",
        Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("2") } },
    };

    [Fact]
    public void A_pod_is_bound_to_the_node_owned_by_its_step_and_runs_the_command_with_the_step_variables()
    {
        var pod = StepPods.For(Launch());
        var container = Assert.Single(pod.Spec.Containers);
        var environment = container.Env.ToDictionary(v => v.Name, v => v.Value);

        Assert.Equal("node-1", pod.Spec.NodeName);
        Assert.Equal("Never", pod.Spec.RestartPolicy);
        Assert.Equal(91, pod.Spec.ActiveDeadlineSeconds);
        Assert.Equal("uid-1", Assert.Single(pod.Metadata.OwnerReferences).Uid);
        Assert.Equal(StepPodMetadata.ManagedByValue, pod.Metadata.Labels[StepPodMetadata.ManagedBy]);
        Assert.Equal("nightly", pod.Metadata.Labels["fluid.io/run"]);
        Assert.Equal(("train", "nightly", "2"), (pod.Metadata.Annotations[StepPodMetadata.StepAnnotation],
            pod.Metadata.Annotations[StepPodMetadata.RunAnnotation], pod.Metadata.Annotations[StepPodMetadata.AttemptAnnotation]));
        Assert.Equal(StepPodMetadata.Container, container.Name);
        Assert.Equal(["dotnet"], container.Command);
        Assert.Equal("registry.example/housing-steps:1.2", container.Image);
        Assert.Equal("2", container.Resources.Requests["cpu"].ToString());
        Assert.Equal(["train.dll", "--epochs", "3"], container.Args);
        Assert.Equal("/data/housing", container.WorkingDir);
        Assert.Equal("fast", environment["MODE"]);
        Assert.Equal("train", environment["FLUID_STEP"]);
        Assert.Equal("/var/run/fluid/node-1.sock", environment["FLUID_OBJECTSTORE_SOCKET"]);
    }

    [Fact]
    public void Names_tell_attempts_and_runs_apart_and_fit_a_hostname()
    {
        var first = StepPods.NameOf(Launch(attempt: 1));
        var second = StepPods.NameOf(Launch(attempt: 2));
        var otherRun = StepPods.NameOf(Launch(run: "nightly-2", attempt: 1));
        var longName = new string('a', 200);
        var longOne = StepPods.NameOf(Launch(step: longName + "x"));
        var longTwo = StepPods.NameOf(Launch(step: longName + "y"));

        Assert.Matches("^train-1-[0-9a-f]{5}$", first);
        Assert.Matches("^train-2-[0-9a-f]{5}$", second);
        Assert.NotEqual(first, otherRun);
        Assert.True(longOne.Length <= 63, longOne);
        Assert.NotEqual(longOne, longTwo);
        Assert.EndsWith(StepPods.NameOf(Launch())[^8..], longOne, StringComparison.Ordinal);
    }
}
