namespace Fluid.Aspire.Cluster.Membership;

/// <summary>
/// The label keys that place a node in the locality tiers the scheduler scores. They are Fluid's and Kubernetes'
/// own keys, so that the same scheduling terms work on a laptop and on a cluster.
/// </summary>
public static class NodeLabels
{
    public const string Node = "fluid.io/node";
    public const string Zone = "topology.kubernetes.io/zone";
    public const string Region = "topology.kubernetes.io/region";
    public const string Rack = "fluid.io/rack";

    /// <summary>
    /// On a Node that no kubelet keeps (the AppHost's nodes): <c>true</c>. The controller then writes the Node's Ready
    /// condition from its daemons' leases, as a kubelet would; it never touches a Node without it.
    /// </summary>
    public const string Simulated = "fluid.io/simulated";
}
