using System.Globalization;
using k8s.Models;

namespace Fluid.Aspire.Contracts;

/// <summary>
/// Where an object's data may be cached or its work may run, in Kubernetes' <c>nodeAffinity</c> shape, with
/// KubernetesClient's own node selector.
/// </summary>
public sealed class NodeAffinity
{
    /// <summary>Terms a node must satisfy; when null, every node qualifies.</summary>
    public V1NodeSelector? Required { get; set; }

    /// <summary>True when a node with <paramref name="labels"/> qualifies.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels) => Required?.Matches(labels) ?? true;
}

/// <summary>The operators of a node selector requirement, as Kubernetes spells them.</summary>
public static class NodeSelectorOperators
{
    /// <summary>The label is present and its value is one of the values.</summary>
    public const string In = "In";

    /// <summary>The label is absent, or its value is none of the values.</summary>
    public const string NotIn = "NotIn";

    /// <summary>The label is present (no values).</summary>
    public const string Exists = "Exists";

    /// <summary>The label is absent (no values).</summary>
    public const string DoesNotExist = "DoesNotExist";

    /// <summary>The label's value, as an integer, is greater than the one value.</summary>
    public const string Gt = "Gt";

    /// <summary>The label's value, as an integer, is less than the one value.</summary>
    public const string Lt = "Lt";

    /// <summary>Every operator, in Kubernetes' order.</summary>
    public static IReadOnlyList<string> All { get; } = [In, NotIn, Exists, DoesNotExist, Gt, Lt];
}

/// <summary>How Kubernetes' node selectors match a node's labels, and how they read in reasons.</summary>
public static class NodeSelectors
{
    /// <summary>A requirement, as in <c>new("zone", NodeSelectorOperators.In, "zone-a")</c>.</summary>
    public static V1NodeSelectorRequirement Requirement(string key, string @operator, params string[] values) =>
        new() { Key = key, OperatorProperty = @operator, Values = values.Length == 0 ? null : [.. values] };

    /// <summary>A term: the AND of its requirements.</summary>
    public static V1NodeSelectorTerm Term(params V1NodeSelectorRequirement[] requirements) => new() { MatchExpressions = [.. requirements] };

    /// <summary>A preferred term: <paramref name="weight"/> (1–100) added to the score of every node <paramref name="term"/> matches.</summary>
    public static V1PreferredSchedulingTerm Preferred(int weight, V1NodeSelectorTerm term) => new() { Weight = weight, Preference = term };

    /// <summary>True when any term matches <paramref name="labels"/>; no terms match no node, as in Kubernetes.</summary>
    public static bool Matches(this V1NodeSelector selector, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return selector.NodeSelectorTerms?.Any(term => term.Matches(labels)) ?? false;
    }

    /// <summary>
    /// True when every requirement holds for <paramref name="labels"/>. A term without requirements matches nothing:
    /// Kubernetes decided so, so that a forgotten term does not silently select every node.
    /// </summary>
    public static bool Matches(this V1NodeSelectorTerm term, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(term);
        return term.MatchExpressions is { Count: > 0 } expressions && expressions.All(requirement => requirement.Matches(labels));
    }

    /// <summary>True when a node with <paramref name="labels"/> satisfies the requirement.</summary>
    public static bool Matches(this V1NodeSelectorRequirement requirement, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(requirement);
        ArgumentNullException.ThrowIfNull(labels);
        var present = labels.TryGetValue(requirement.Key, out var value);
        var values = requirement.Values ?? [];
        return requirement.OperatorProperty switch
        {
            NodeSelectorOperators.In => present && values.Contains(value!),
            NodeSelectorOperators.NotIn => !present || !values.Contains(value!),
            NodeSelectorOperators.Exists => present,
            NodeSelectorOperators.DoesNotExist => !present,
            // Kubernetes compares Gt/Lt as 64-bit integers; a label that is no integer does not match.
            NodeSelectorOperators.Gt => present && TryInteger(value, out var actual) && values.Count == 1 && TryInteger(values[0], out var bound) && actual > bound,
            NodeSelectorOperators.Lt => present && TryInteger(value, out var actual) && values.Count == 1 && TryInteger(values[0], out var bound) && actual < bound,
            _ => false,
        };
    }

    /// <summary>What is wrong with the values for the requirement's operator (Kubernetes' rules), or null.</summary>
    public static string? ValuesProblem(this V1NodeSelectorRequirement requirement)
    {
        ArgumentNullException.ThrowIfNull(requirement);
        var values = requirement.Values ?? [];
        return requirement.OperatorProperty switch
        {
            NodeSelectorOperators.In or NodeSelectorOperators.NotIn when values.Count == 0 =>
                $"must list at least one value for operator {requirement.OperatorProperty}; e.g. [\"zone-a\"]",
            NodeSelectorOperators.Exists or NodeSelectorOperators.DoesNotExist when values.Count > 0 =>
                $"must be empty for operator {requirement.OperatorProperty}, which only looks at whether the label is there",
            NodeSelectorOperators.Gt or NodeSelectorOperators.Lt when values.Count != 1 || !TryInteger(values[0], out _) =>
                $"must hold exactly one integer for operator {requirement.OperatorProperty}; e.g. [\"4\"]",
            _ => null,
        };
    }

    /// <summary>The form people read in reasons: <c>disk In [ssd, nvme]</c>, <c>gpu Exists</c>, <c>cores Gt 8</c>.</summary>
    public static string Describe(this V1NodeSelectorRequirement requirement)
    {
        ArgumentNullException.ThrowIfNull(requirement);
        var values = requirement.Values ?? [];
        return requirement.OperatorProperty switch
        {
            NodeSelectorOperators.Exists or NodeSelectorOperators.DoesNotExist => $"{requirement.Key} {requirement.OperatorProperty}",
            NodeSelectorOperators.Gt or NodeSelectorOperators.Lt => $"{requirement.Key} {requirement.OperatorProperty} {string.Join(", ", values)}",
            _ => $"{requirement.Key} {requirement.OperatorProperty} [{string.Join(", ", values)}]",
        };
    }

    /// <summary><c>disk Exists and cores Gt 5</c>.</summary>
    public static string Describe(this V1NodeSelectorTerm term)
    {
        ArgumentNullException.ThrowIfNull(term);
        return term.MatchExpressions is not { Count: > 0 } expressions
            ? "no expressions (matches no node)"
            : string.Join(" and ", expressions.Select(Describe));
    }

    private static bool TryInteger(string? text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
