using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Execution;
using k8s.Models;

namespace Fluid.Aspire.Controller.Pods;

/// <summary>
/// The Pod of an attempt of a step: bound to the scheduled node, owned by the step's DataProcess, labelled with the
/// step's own labels (flow, run, step) and marked with the run and attempt, so that a new controller finds it again.
/// </summary>
public static class StepPods
{
    /// <summary>The volume of the node's object store socket directory in a cluster's step pods.</summary>
    public const string SocketVolume = "fluid-sockets";

    /// <summary>
    /// The pod of <paramref name="launch"/>. A pod in a container (one with an image) mounts the directory of its
    /// node's object store socket from the host, where the node's object store serves it; a simulated node's pod is a
    /// process of the host and sees it anyway.
    /// </summary>
    public static V1Pod For(StepLaunch launch)
    {
        var sockets = launch.Image is not null && launch.Context.ObjectStoreSocket is { } socket ? Path.GetDirectoryName(socket) : null;
        var labels = new Dictionary<string, string>(launch.Labels, StringComparer.Ordinal) { [StepPodMetadata.ManagedBy] = StepPodMetadata.ManagedByValue };
        var attempt = launch.Attempt.ToString(CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>(launch.Environment, StringComparer.Ordinal);
        foreach (var (name, value) in StepEnvironmentVariables.For(launch))
        {
            environment[name] = value;
        }

        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = NameOf(launch),
                NamespaceProperty = launch.Namespace,
                Labels = labels,
                Annotations = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [StepPodMetadata.StepAnnotation] = launch.StepName,
                    [StepPodMetadata.RunAnnotation] = launch.RunId,
                    [StepPodMetadata.AttemptAnnotation] = attempt,
                },
                OwnerReferences = launch.Owner is { } owner ? [owner] : null,
            },
            Spec = new V1PodSpec
            {
                NodeName = launch.NodeName,
                RestartPolicy = "Never",
                ActiveDeadlineSeconds = launch.Timeout is { } timeout ? (long)Math.Ceiling(timeout.TotalSeconds) : null,
                Containers =
                [
                    new V1Container
                    {
                        Name = StepPodMetadata.Container,
                        Image = launch.Image,
                        Command = [launch.Command],
                        Args = launch.Arguments.Count == 0 ? null : [.. launch.Arguments],
                        Env = [.. environment.Select(v => new V1EnvVar { Name = v.Key, Value = v.Value })],
                        WorkingDir = launch.WorkingDirectory,
                        Resources = launch.Resources,
                        VolumeMounts = sockets is null ? null : [new V1VolumeMount { Name = SocketVolume, MountPath = sockets }],
                    },
                ],
                Volumes = sockets is null ? null : [new V1Volume { Name = SocketVolume, HostPath = new V1HostPathVolumeSource { Path = sockets, Type = "Directory" } }],
            },
        };
    }

    /// <summary>
    /// <c>{step}-{attempt}-{suffix}</c>: the suffix, from the run, keeps apart the pods of the same attempt in two runs
    /// of a recurring step; a step name too long for a hostname (63 characters) is cut, and a hash of it added.
    /// </summary>
    public static string NameOf(StepLaunch launch)
    {
        var suffix = $"-{launch.Attempt.ToString(CultureInfo.InvariantCulture)}-{Hash(launch.RunId)[..5]}";
        var step = launch.StepName.ToLowerInvariant();
        return step.Length + suffix.Length <= 63 ? step + suffix : $"{step[..(63 - suffix.Length - 9)].TrimEnd('-', '.')}-{Hash(step)[..8]}{suffix}";
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
