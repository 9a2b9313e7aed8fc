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
}
