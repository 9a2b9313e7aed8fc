namespace Fluid.Aspire.Cluster.Membership;

/// <summary>A node as the control plane sees it: its labels and the daemons alive on it.</summary>
public sealed record ClusterNode(
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<NodeMember> Members)
{
    /// <summary>True when every required daemon of the node is registered.</summary>
    public bool Ready => NodeComponents.Required.All(c => Members.Any(m => m.Component == c));

    /// <summary>The required daemons that are not registered.</summary>
    public IReadOnlyList<string> Missing => NodeComponents.Required.Where(c => Members.All(m => m.Component != c)).ToArray();

    public static IReadOnlyList<ClusterNode> FromMembers(IEnumerable<NodeMember> members) =>
        members
            .GroupBy(m => m.Node, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var ordered = g.OrderBy(m => m.Component, StringComparer.Ordinal).ToArray();
                var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
                foreach (var member in ordered)
                {
                    foreach (var (key, value) in member.Labels)
                    {
                        labels.TryAdd(key, value);
                    }
                }

                return new ClusterNode(g.Key, labels, ordered);
            })
            .ToArray();
}
