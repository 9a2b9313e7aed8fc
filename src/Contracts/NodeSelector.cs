using System.Globalization;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts;

/// <summary>Where an object's data may be cached or its work may run, in Kubernetes' <c>nodeAffinity</c> shape.</summary>
public sealed class NodeAffinity
{
    /// <summary>Terms a node must satisfy; when null, every node qualifies.</summary>
    public NodeSelector? Required { get; set; }

    /// <summary>True when a node with <paramref name="labels"/> qualifies.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels) => Required?.Matches(labels) ?? true;
}

/// <summary>A list of terms, any one of which selects a node (the terms are ORed).</summary>
public sealed class NodeSelector
{
    /// <summary>The terms; at least one.</summary>
    [Required(Example = "[{\"matchExpressions\": [{\"key\": \"topology.kubernetes.io/zone\", \"operator\": \"In\", \"values\": [\"zone-a\"]}]}]")]
    public List<NodeSelectorTerm> NodeSelectorTerms { get; set; } = [];

    /// <summary>True when any term matches <paramref name="labels"/>; an empty list matches no node, as in Kubernetes.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels) => NodeSelectorTerms.Any(term => term.Matches(labels));
}

/// <summary>Requirements that a node must all satisfy (they are ANDed).</summary>
public sealed class NodeSelectorTerm
{
    /// <summary>The requirements on node labels; at least one.</summary>
    [Required(Example = "[{\"key\": \"topology.kubernetes.io/zone\", \"operator\": \"In\", \"values\": [\"zone-a\"]}]")]
    public List<NodeSelectorRequirement> MatchExpressions { get; set; } = [];

    /// <summary>
    /// True when every requirement holds for a node with <paramref name="labels"/>. A term without requirements
    /// matches nothing: Kubernetes decided so, so that a forgotten term does not silently select every node.
    /// </summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return MatchExpressions.Count > 0 && MatchExpressions.All(requirement => requirement.Matches(labels));
    }
}

/// <summary>How a requirement compares a label with its values.</summary>
public enum NodeSelectorOperator
{
    /// <summary>The label is present and its value is one of the values.</summary>
    In,

    /// <summary>The label is absent, or its value is none of the values.</summary>
    NotIn,

    /// <summary>The label is present (no values).</summary>
    Exists,

    /// <summary>The label is absent (no values).</summary>
    DoesNotExist,

    /// <summary>The label's value, as an integer, is greater than the one value.</summary>
    Gt,

    /// <summary>The label's value, as an integer, is less than the one value.</summary>
    Lt,
}

/// <summary>One requirement on a node label: <c>key operator values</c>.</summary>
public sealed class NodeSelectorRequirement
{
    /// <summary>The label key, e.g. <c>topology.kubernetes.io/zone</c>.</summary>
    [Required(Example = "topology.kubernetes.io/zone")]
    [QualifiedName]
    public string Key { get; set; } = "";

    /// <summary>How the label is compared.</summary>
    [Required(Example = "In")]
    public NodeSelectorOperator? Operator { get; set; }

    /// <summary>For In and NotIn, one or more; for Exists and DoesNotExist, none; for Gt and Lt, one integer.</summary>
    public List<string> Values { get; set; } = [];

    /// <summary>True when a node with <paramref name="labels"/> satisfies this requirement.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var present = labels.TryGetValue(Key, out var value);
        return Operator switch
        {
            NodeSelectorOperator.In => present && Values.Contains(value!),
            NodeSelectorOperator.NotIn => !present || !Values.Contains(value!),
            NodeSelectorOperator.Exists => present,
            NodeSelectorOperator.DoesNotExist => !present,
            // Kubernetes compares Gt/Lt as 64-bit integers; a label that is no integer does not match.
            NodeSelectorOperator.Gt => present && TryInteger(value, out var actual) && Values.Count == 1 && TryInteger(Values[0], out var bound) && actual > bound,
            NodeSelectorOperator.Lt => present && TryInteger(value, out var actual) && Values.Count == 1 && TryInteger(Values[0], out var bound) && actual < bound,
            _ => false,
        };
    }

    private static bool TryInteger(string? text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
