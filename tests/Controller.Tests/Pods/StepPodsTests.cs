using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Controller.Pods;
using Fluid.Aspire.Execution;
using Fluid.Aspire.TestSupport;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Controller.Tests.Pods;

/// <summary>The pod of a step's attempt: where it is bound, what marks it as the step's, and what it runs.</summary>
public sealed class StepPodsTests
{
    private static readonly StepPodOptions Options = new();

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
        Context = new StepNodeContext { ObjectStoreSocket = "/var/run/fluid/node-1.sock", CacheAgentSocket = "/var/run/fluid/cacheagent.sock" },
        Image = "registry.example/housing-steps:1.2",
        Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("2") } },
    };

    [Fact]
    public void A_pod_is_bound_to_the_node_owned_by_its_step_and_runs_the_command_with_the_step_variables()
    {
        var pod = StepPods.For(Launch(), Options);
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
        Assert.Equal("/var/run/fluid/cacheagent.sock", environment["FLUID_CACHE_SOCKET"]);
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

    [Fact]
    public async Task A_cluster_pod_reads_back_as_a_V1Pod_and_passes_Kubernetes_own_schema()
    {
        var models = Environment.GetEnvironmentVariable("FLUID_KUBERNETES_MODELS");
        Assert.SkipWhen(string.IsNullOrEmpty(models) || !File.Exists(Path.Combine(models, "validate.mjs")),
            "kubernetes-models is not installed: ./test.sh installs it into .tools/kubernetes-models (npm), or set FLUID_KUBERNETES_MODELS.");
        using var directory = new TemporaryDirectory();
        var dataset = new Contracts.Datasets.Dataset
        {
            Metadata = new V1ObjectMeta { Name = "housing", NamespaceProperty = "ml" },
            Spec = new Contracts.Datasets.DatasetSpec { Mounts = [new() { MountPoint = "local:///srv/housing", Name = "raw" }, new() { MountPoint = "pvc://features/v2", Name = "features" }] },
        };
        var (volumes, mounts) = StepDatasetVolumes.For(dataset, new DatasetReference { Name = "housing", MountPath = "/data" });
        var launch = Launch() with { WorkingDirectory = null, Volumes = volumes, VolumeMounts = mounts };
        var options = new StepPodOptions { SocketHostDirectory = "/mnt/fluid" };
        var json = KubernetesJson.Serialize(StepPods.For(launch, options));
        var file = Path.Combine(directory.Path, "pod.json");
        await File.WriteAllTextAsync(file, json, TestContext.Current.CancellationToken);
        var broken = Path.Combine(directory.Path, "broken.json");
        await File.WriteAllTextAsync(broken, json.Replace("\"restartPolicy\":\"Never\"", "\"restartPolicy\":\"Sometimes\"", StringComparison.Ordinal),
            TestContext.Current.CancellationToken);

        var valid = await ValidateAsync(models!, file);
        var invalid = await ValidateAsync(models!, broken);
        var pod = StepPods.For(launch, options);
        var volume = pod.Spec.Volumes.ToDictionary(v => v.Name);
        var mountedAt = pod.Spec.Containers[0].VolumeMounts.ToDictionary(m => m.Name, m => m.MountPath);

        Assert.Equal(json, KubernetesJson.Serialize(KubernetesJson.Deserialize<V1Pod>(json)));
        Assert.True(valid.ExitCode == 0, valid.Output);
        Assert.Equal(3, invalid.ExitCode);
        Assert.Contains("restartPolicy", invalid.Output, StringComparison.Ordinal);
        // In a container: the dataset's sources, the node's object store socket from the host, and a scratch directory to work in.
        Assert.Equal(["dataset-0", "dataset-1", StepPods.SocketVolume, StepPods.ScratchVolume], volume.Keys);
        Assert.Equal("/srv/housing", volume["dataset-0"].HostPath.Path);
        Assert.Equal("features", volume["dataset-1"].PersistentVolumeClaim.ClaimName);
        Assert.Equal("/mnt/fluid", volume[StepPods.SocketVolume].HostPath.Path);
        Assert.Equal("/var/run/fluid", mountedAt[StepPods.SocketVolume]);
        Assert.NotNull(volume[StepPods.ScratchVolume].EmptyDir);
        Assert.Equal(StepPods.ScratchPath, mountedAt[StepPods.ScratchVolume]);
        Assert.Equal(StepPods.ScratchPath, pod.Spec.Containers[0].WorkingDir);
    }

    [Fact]
    public void A_simulated_nodes_pod_has_no_image_and_no_volume()
    {
        var pod = StepPods.For(Launch() with { Image = null, WorkingDirectory = null }, Options);

        Assert.Null(pod.Spec.Containers[0].Image);
        Assert.Null(pod.Spec.Volumes);
        Assert.Null(pod.Spec.Containers[0].VolumeMounts);
    }

    private static async Task<(int ExitCode, string Output)> ValidateAsync(string models, string file)
    {
        await using var node = ChildProcess.Start("node", [Path.Combine(models, "validate.mjs"), "v1/Pod", file]);
        var exitCode = await node.WaitForExitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        return (exitCode, node.Output);
    }
}
