using Fluid.Aspire.Execution;
using k8s.Models;

namespace Fluid.Aspire.CacheAgent.Kubelet;

/// <summary>
/// What a simulated node runs for a pod: its one container's command as a process of this machine, through the
/// executor. A pod is refused (with the field and how to fix it) where it asks for what only a container runtime
/// gives: an image, more than one container, init containers, or variables from Secrets and ConfigMaps.
/// </summary>
public static class PodLaunches
{
    /// <summary>The launch of <paramref name="pod"/>, or why this node cannot run it.</summary>
    public static (StepLaunch? Launch, string? Problem) For(V1Pod pod, string scratchDirectory)
    {
        var spec = pod.Spec;
        if (spec.Containers is not { Count: 1 } || spec.InitContainers is { Count: > 0 })
        {
            return (null, $"spec.containers has {spec.Containers?.Count ?? 0} containers and spec.initContainers {spec.InitContainers?.Count ?? 0}: " +
                "a simulated node runs pods of exactly one container and no init containers.");
        }

        var container = spec.Containers[0];
        if (!string.IsNullOrEmpty(container.Image))
        {
            return (null, $"spec.containers[0].image is {container.Image}: a simulated node runs programs of this machine directly, not images. " +
                "Leave the image out (the controller does so locally) and name the program in command.");
        }

        if (container.Command is not { Count: > 0 } || string.IsNullOrWhiteSpace(container.Command[0]))
        {
            return (null, "spec.containers[0].command is empty: without an image there is no entrypoint, so name the program in command.");
        }

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in container.Env ?? [])
        {
            if (Resolve(pod, variable) is not { } value)
            {
                return (null, $"spec.containers[0].env[{variable.Name}] takes its value from a source a simulated node does not read: " +
                    "use value, or fieldRef to metadata.name, metadata.namespace, metadata.uid or spec.nodeName.");
            }

            environment[variable.Name] = value;
        }

        var launch = new StepLaunch
        {
            Namespace = pod.Namespace(),
            StepName = pod.Name(),
            RunId = pod.Uid(),
            NodeName = spec.NodeName,
            Command = container.Command[0],
            Arguments = [.. container.Command.Skip(1), .. container.Args ?? []],
            Environment = environment,
            WorkingDirectory = string.IsNullOrEmpty(container.WorkingDir) ? scratchDirectory : container.WorkingDir,
            Timeout = spec.ActiveDeadlineSeconds is { } deadline ? TimeSpan.FromSeconds(deadline) : null,
            Labels = pod.Labels()?.ToDictionary(StringComparer.Ordinal) ?? new Dictionary<string, string>(StringComparer.Ordinal),
        };
        var problems = launch.Validate().ToArray();
        return problems.Length == 0 ? (launch, null) : (null, string.Join(" ", problems));
    }

    private static string? Resolve(V1Pod pod, V1EnvVar variable) => variable.ValueFrom switch
    {
        null => variable.Value ?? "",
        { FieldRef.FieldPath: "metadata.name" } => pod.Name(),
        { FieldRef.FieldPath: "metadata.namespace" } => pod.Namespace(),
        { FieldRef.FieldPath: "metadata.uid" } => pod.Uid(),
        { FieldRef.FieldPath: "spec.nodeName" } => pod.Spec.NodeName,
        _ => null,
    };
}
