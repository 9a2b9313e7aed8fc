namespace Fluid.Aspire.Controller.Pods;

/// <summary>How the controller builds the pods of steps that run in containers (section <c>Fluid:StepPods</c>).</summary>
public sealed class StepPodOptions
{
    public const string SectionName = "Fluid:StepPods";

    /// <summary>
    /// The directory on each node where its object store's socket is (the chart's <c>parameters.fluid.socketDirectory</c>);
    /// a step pod mounts it at the path the store gave for its socket. Unset: that same path.
    /// </summary>
    public string? SocketHostDirectory { get; set; }

    /// <summary>
    /// How long a node may be gone or not ready (its daemons missing) before its step pods are lost and their steps
    /// run again elsewhere (Kubernetes waits 300 s by default before it evicts them).
    /// </summary>
    public int NodeLostSeconds { get; set; } = 60;

    public IEnumerable<string> Validate()
    {
        if (NodeLostSeconds is < 1 or > 86400)
        {
            yield return $"{SectionName}:{nameof(NodeLostSeconds)} is {NodeLostSeconds}; use 1 to 86400 (a day), for example 60.";
        }

        if (SocketHostDirectory is { } directory && !Path.IsPathFullyQualified(directory))
        {
            yield return $"{SectionName}:{nameof(SocketHostDirectory)} is '{directory}'; use an absolute path on the nodes, for example /var/run/fluid.";
        }
    }
}
