namespace Fluid.Aspire.Cluster.Membership;

/// <summary>
/// The etcd key layout of node membership (docs/etcd-layout.md): <c>{prefix}/nodes/{node}/{component}</c>.
/// </summary>
public static class NodeKeys
{
    public static string AllNodes(string prefix) => $"{prefix}/nodes/";

    public static string Member(string prefix, string node, string component) => $"{prefix}/nodes/{node}/{component}";
}
