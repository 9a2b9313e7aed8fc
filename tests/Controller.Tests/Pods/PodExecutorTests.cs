using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Controller.Pods;
using Fluid.Aspire.Execution;
using Fluid.Aspire.TestSupport;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Controller.Tests.Pods;

/// <summary>
/// The pod executor against the local API server, the test playing a cluster node's kubelet: it writes the pod
/// statuses a container runtime produces, which a simulated node never does.
/// </summary>
public sealed class PodExecutorTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static StepLaunch Launch(string step) => new()
    {
        Namespace = "ml",
        StepName = step,
        RunId = "r1",
        NodeName = "gpu-1",
        Command = "python3",
        Arguments = ["train.py"],
        Image = "registry.example/train:9",
        Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("2Gi") } },
    };

    [Fact]
    public async Task A_pod_whose_image_cannot_be_pulled_fails_to_start_and_goes_and_an_OOM_kill_fails_with_its_limit()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var api = await ApiServerProcess.StartAsync(etcd, Cancellation);
        await api.CreateNamespaceAsync("ml", Cancellation);
        using var kubernetes = api.CreateKubernetes();
        await using var executor = new PodExecutor(kubernetes, Options.Create(new StepPodOptions()), NullLogger<PodExecutor>.Instance);

        var pulling = await executor.StartAsync(Launch("pull"), Cancellation);
        var hungry = await executor.StartAsync(Launch("hungry"), Cancellation);
        await WriteStatusAsync(kubernetes, pulling.PodName!, new V1PodStatus
        {
            Phase = "Pending",
            ContainerStatuses = [new V1ContainerStatus { Name = StepPodMetadata.Container, Image = "registry.example/train:9", ImageID = "", Ready = false, RestartCount = 0,
                State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ImagePullBackOff", Message = "Back-off pulling image" } } }],
        });
        await WriteStatusAsync(kubernetes, hungry.PodName!, new V1PodStatus
        {
            Phase = "Failed",
            ContainerStatuses = [new V1ContainerStatus { Name = StepPodMetadata.Container, Image = "registry.example/train:9", ImageID = "", Ready = false, RestartCount = 0,
                State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 137, Reason = "OOMKilled" } } }],
        });

        var unpulled = await pulling.Completion.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);
        var killed = await hungry.Completion.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);

        Assert.Equal(StepStatus.FailedToStart, unpulled.Status);
        Assert.StartsWith("could not start: ImagePullBackOff (Back-off pulling image); check the step's image (registry.example/train:9", unpulled.Reason, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Failed, killed.Status);
        Assert.Contains("memory limit of 2Gi (OOMKilled", killed.Reason, StringComparison.Ordinal);
        // The pod that cannot start is deleted (its kubelet, here the test, stops pulling and confirms); the failed one stays for kubectl describe and logs.
        var deleting = await Eventually.ReturnsAsync(
            async () => (await kubernetes.CoreV1.ListNamespacedPodAsync("ml", cancellationToken: Cancellation)).Items.Where(p => p.Metadata.DeletionTimestamp is not null).Select(p => p.Name()).ToArray(),
            names => names.Length > 0, TimeSpan.FromSeconds(30), "a pod being deleted", Cancellation);
        Assert.Equal([pulling.PodName!], deleting);
    }

    private static Task<V1Pod> WriteStatusAsync(k8s.Kubernetes kubernetes, string pod, V1PodStatus status) =>
        kubernetes.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(new { status }, V1Patch.PatchType.MergePatch), pod, "ml", cancellationToken: Cancellation);
}
