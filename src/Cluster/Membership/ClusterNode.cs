using k8s;
using k8s.Models;

namespace Fluid.Aspire.Cluster.Membership;

/// <summary>
/// A node as the control plane sees it: the Node's labels, the daemons alive on it, and what it can give pods
/// (<c>status.allocatable</c>; empty when its kubelet reports none).
/// </summary>
public sealed record ClusterNode(
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<NodeMember> Members,
    IReadOnlyDictionary<string, ResourceQuantity>? Allocatable = null)
{
    /// <summary>True when every required daemon of the node holds a live lease.</summary>
    public bool Ready => NodeComponents.Required.All(c => Members.Any(m => m.Component == c));

    /// <summary>The required daemons without a live lease.</summary>
    public IReadOnlyList<string> Missing => NodeComponents.Required.Where(c => Members.All(m => m.Component != c)).ToArray();

    /// <summary>The nodes of <paramref name="nodes"/>, by name, each with its <paramref name="members"/> that are alive; a member of a node that has no Node object is no node.</summary>
    public static IReadOnlyList<ClusterNode> From(IEnumerable<V1Node> nodes, IEnumerable<NodeMember> members)
    {
        var byNode = members.ToLookup(m => m.Node, StringComparer.Ordinal);
        return nodes
            .OrderBy(n => n.Metadata.Name, StringComparer.Ordinal)
            .Select(n => new ClusterNode(
                n.Metadata.Name,
                new SortedDictionary<string, string>(n.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal),
                [.. byNode[n.Metadata.Name].OrderBy(m => m.Component, StringComparer.Ordinal)],
                n.Status?.Allocatable is { } allocatable ? new Dictionary<string, ResourceQuantity>(allocatable, StringComparer.Ordinal) : null))
            .ToArray();
    }

    /// <summary>
    /// Reads the nodes once from the Kubernetes API, with the members whose lease has not expired at
    /// <paramref name="now"/> by the renew time it holds: for one-shot readers (the CLI, tests); the controller follows
    /// them with its directory instead.
    /// </summary>
    public static async Task<IReadOnlyList<ClusterNode>> ReadAsync(
        k8s.Kubernetes kubernetes, string namespaceName, DateTimeOffset now, string? labelSelector = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kubernetes);
        var nodes = await kubernetes.CoreV1.ListNodeAsync(labelSelector: labelSelector, cancellationToken: cancellationToken);
        var leases = await kubernetes.CoordinationV1.ListNamespacedLeaseAsync(namespaceName, labelSelector: MemberLease.Selector, cancellationToken: cancellationToken);
        return From(nodes.Items, leases.Items.Select(MemberLease.Read).OfType<NodeMember>().Where(m => m.ExpiresAt > now));
    }
}
