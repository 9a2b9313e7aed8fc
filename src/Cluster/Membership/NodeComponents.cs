namespace Fluid.Aspire.Cluster.Membership;

/// <summary>The daemons that run on every node; a node is ready when all of them are registered.</summary>
public static class NodeComponents
{
    public const string ObjectStore = "objectstore";
    public const string CacheAgent = "cacheagent";

    public static IReadOnlyList<string> Required { get; } = [ObjectStore, CacheAgent];
}
