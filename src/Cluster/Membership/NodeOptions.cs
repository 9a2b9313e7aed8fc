using System.Text.RegularExpressions;

namespace Fluid.Aspire.Cluster.Membership;

/// <summary>Who this process is in the cluster: its node and locality, bound from the <c>Fluid:Node</c> section.</summary>
public sealed partial class NodeOptions
{
    public const string SectionName = "Fluid:Node";

    /// <summary>The node name; <c>node-0</c> … when the AppHost simulates nodes, the Kubernetes node name on a cluster.</summary>
    public string Name { get; set; } = Environment.MachineName.ToLowerInvariant();

    public string? Zone { get; set; }

    public string? Region { get; set; }

    public string? Rack { get; set; }

    /// <summary>Further labels, merged under the well-known ones.</summary>
    public Dictionary<string, string> Labels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// True when no kubelet keeps this node's Node object, as on a laptop where the AppHost simulates nodes: then the
    /// node's daemons create it with the node's labels. On a cluster the kubelet owns Nodes; leave it false.
    /// </summary>
    public bool Register { get; set; }

    /// <summary>
    /// How long the registration outlives this process when it dies without saying goodbye. Shorter notices a
    /// dead node sooner; longer rides out longer pauses (GC, a busy etcd).
    /// </summary>
    public int LeaseTtlSeconds { get; set; } = 10;

    /// <summary>
    /// The address others reach this daemon at (a pod's IP on a cluster), put into the endpoints it registers in place
    /// of a wildcard host such as <c>http://+:8080</c>; the registered addresses stay as the server listens when unset.
    /// </summary>
    public string? AdvertiseAddress { get; set; }

    /// <summary>All labels of the node: the extra ones, then the locality labels from the named properties.</summary>
    public IReadOnlyDictionary<string, string> ToLabels()
    {
        var labels = new SortedDictionary<string, string>(Labels, StringComparer.Ordinal)
        {
            [NodeLabels.Node] = Name,
        };
        AddIfSet(labels, NodeLabels.Zone, Zone);
        AddIfSet(labels, NodeLabels.Region, Region);
        AddIfSet(labels, NodeLabels.Rack, Rack);
        return labels;
    }

    /// <summary>The problems with these options, each naming the setting and how to fix it.</summary>
    public IEnumerable<string> Validate()
    {
        if (!DnsLabel().IsMatch(Name))
        {
            yield return $"Fluid:Node:Name '{Name}' is not a valid node name: use at most 63 lower-case letters, digits " +
                "and '-', starting and ending with a letter or digit (for example node-0).";
        }

        if (LeaseTtlSeconds is < 2 or > 300)
        {
            yield return $"Fluid:Node:LeaseTtlSeconds is {LeaseTtlSeconds}; use a value from 2 to 300.";
        }
    }

    private static void AddIfSet(SortedDictionary<string, string> labels, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            labels[key] = value;
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
