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

    /// <summary>The volume of a container's scratch directory, its working directory when it has no other.</summary>
    public const string ScratchVolume = "fluid-scratch";

    /// <summary>Where a container's scratch directory is.</summary>
    public const string ScratchPath = "/fluid/scratch";

    /// <summary>
    /// The pod of <paramref name="launch"/>. A pod in a container (one with an image) mounts its dataset's volumes,
    /// the directory of its node's object store socket from the host, where the node's object store serves it, and a
    /// scratch directory to work in unless it names a working directory; a simulated node's pod is a process of the
    /// host and sees all of it anyway.
    /// </summary>
    public static V1Pod For(StepLaunch launch, StepPodOptions options)
    {
        var labels = new Dictionary<string, string>(launch.Labels, StringComparer.Ordinal) { [StepPodMetadata.ManagedBy] = StepPodMetadata.ManagedByValue };
        var attempt = launch.Attempt.ToString(CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>(launch.Environment, StringComparer.Ordinal);
        foreach (var (name, value) in StepEnvironmentVariables.For(launch))
        {
            environment[name] = value;
        }

        var volumes = new List<V1Volume>(launch.Volumes);
        var mounts = new List<V1VolumeMount>(launch.VolumeMounts);
        var workingDirectory = launch.WorkingDirectory;
        if (launch.Image is not null)
        {
            if (launch.Context.ObjectStoreSocket is { } socket && Path.GetDirectoryName(socket) is { } sockets)
            {
                volumes.Add(new V1Volume { Name = SocketVolume, HostPath = new V1HostPathVolumeSource { Path = options.SocketHostDirectory ?? sockets, Type = "Directory" } });
                mounts.Add(new V1VolumeMount { Name = SocketVolume, MountPath = sockets });
            }

            if (workingDirectory is null)
            {
                volumes.Add(new V1Volume { Name = ScratchVolume, EmptyDir = new V1EmptyDirVolumeSource() });
                mounts.Add(new V1VolumeMount { Name = ScratchVolume, MountPath = ScratchPath });
                workingDirectory = ScratchPath;
            }
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
                        WorkingDir = workingDirectory,
                        Resources = launch.Resources,
                        VolumeMounts = mounts.Count == 0 ? null : mounts,
                    },
                ],
                Volumes = volumes.Count == 0 ? null : volumes,
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
