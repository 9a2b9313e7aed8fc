namespace Fluid.Aspire.Hosting.Kubernetes.Mapping;

/// <summary>A service of the Fluid stack and its container image; its project file sets the same ContainerRepository.</summary>
/// <param name="Suffix">What follows the stack's name in the resource and object names, e.g. <c>controller</c>.</param>
/// <param name="Repository">The image repository, e.g. <c>fluid-aspire/controller</c>.</param>
/// <param name="RunsOnEveryNode">True for the node daemons, which a DaemonSet runs and which register their node.</param>
internal sealed record StackComponent(string Suffix, string Repository, bool RunsOnEveryNode)
{
    public static StackComponent Controller { get; } = new("controller", "fluid-aspire/controller", RunsOnEveryNode: false);

    public static StackComponent ObjectStore { get; } = new("objectstore", "fluid-aspire/objectstore", RunsOnEveryNode: true);

    public static StackComponent CacheAgent { get; } = new("cacheagent", "fluid-aspire/cacheagent", RunsOnEveryNode: true);

    /// <summary>The tag of the stack's images: the version they were built as, as their project files say.</summary>
    public static string ImageTag { get; } = typeof(StackComponent).Assembly.GetName().Version!.ToString(3);

    public string NameIn(FluidResource fluid) => $"{fluid.Name}-{Suffix}";
}
