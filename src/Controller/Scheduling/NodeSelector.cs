using System.Globalization;

namespace Fluid.Aspire.Controller.Scheduling;

/// <summary>How a <see cref="NodeSelectorRequirement"/> compares a node's label with its values (Kubernetes' set).</summary>
public enum NodeSelectorOperator
{
    /// <summary>The label is present and its value is one of the values.</summary>
    In,

    /// <summary>The label is absent, or its value is none of the values.</summary>
    NotIn,

    /// <summary>The label is present, whatever its value; no values.</summary>
    Exists,

    /// <summary>The label is absent; no values.</summary>
    DoesNotExist,

    /// <summary>The label's value is an integer greater than the single integer value.</summary>
    Gt,

    /// <summary>The label's value is an integer less than the single integer value.</summary>
    Lt,
}

/// <summary>One condition on a node's labels: <c>{key, operator, values}</c>.</summary>
public sealed record NodeSelectorRequirement(string Key, NodeSelectorOperator Operator, IReadOnlyList<string> Values)
{
    public NodeSelectorRequirement(string key, NodeSelectorOperator @operator, params string[] values)
        : this(key, @operator, (IReadOnlyList<string>)values)
    {
    }

    /// <summary>The form people read in reasons: <c>disk In [ssd, nvme]</c>, <c>gpu Exists</c>, <c>cores Gt 8</c>.</summary>
    public override string ToString() => Operator switch
    {
        NodeSelectorOperator.Exists or NodeSelectorOperator.DoesNotExist => $"{Key} {Operator}",
        NodeSelectorOperator.Gt or NodeSelectorOperator.Lt => $"{Key} {Operator} {string.Join(", ", Values)}",
        _ => $"{Key} {Operator} [{string.Join(", ", Values)}]",
    };

    internal IEnumerable<string> Validate(string where)
    {
        if (string.IsNullOrEmpty(Key))
        {
            yield return $"{where} has an empty key: name the label to match, for example topology.kubernetes.io/zone.";
        }

        switch (Operator)
        {
            case NodeSelectorOperator.In or NodeSelectorOperator.NotIn when Values is null || Values.Count == 0:
                yield return $"{where} ({Key} {Operator}) has no values: give at least one, or use Exists / DoesNotExist.";
                break;
            case NodeSelectorOperator.Exists or NodeSelectorOperator.DoesNotExist when Values is { Count: > 0 }:
                yield return $"{where} ({Key} {Operator}) has values: {Operator} takes none, remove them.";
                break;
            case NodeSelectorOperator.Gt or NodeSelectorOperator.Lt
                when Values is not { Count: 1 } || !long.TryParse(Values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _):
                yield return $"{where} ({Key} {Operator}) needs exactly one integer value, for example [\"8\"].";
                break;
            case < NodeSelectorOperator.In or > NodeSelectorOperator.Lt:
                yield return $"{where} has the unknown operator {(int)Operator}: use In, NotIn, Exists, DoesNotExist, Gt or Lt.";
                break;
        }
    }
}

/// <summary>
/// A node selector term: the AND of its expressions. As in Kubernetes, a term without expressions matches no node,
/// and a list of terms matches a node when any one of them does.
/// </summary>
public sealed record NodeSelectorTerm(IReadOnlyList<NodeSelectorRequirement> MatchExpressions)
{
    public NodeSelectorTerm(params NodeSelectorRequirement[] matchExpressions)
        : this((IReadOnlyList<NodeSelectorRequirement>)matchExpressions)
    {
    }

    public override string ToString() =>
        MatchExpressions.Count == 0 ? "no expressions (matches no node)" : string.Join(" and ", MatchExpressions);

    internal IEnumerable<string> Validate(string where)
    {
        if (MatchExpressions is null || MatchExpressions.Count == 0)
        {
            yield return $"{where} has no match expressions, so it matches no node: add an expression or drop the term.";
            yield break;
        }

        for (var i = 0; i < MatchExpressions.Count; i++)
        {
            if (MatchExpressions[i] is not { } expression)
            {
                yield return $"{where}, expression {i + 1} is null: remove it.";
                continue;
            }

            foreach (var problem in expression.Validate($"{where}, expression {i + 1}"))
            {
                yield return problem;
            }
        }
    }
}

/// <summary>A term that adds its weight (1–100) to the score of every node it matches.</summary>
public sealed record PreferredSchedulingTerm(int Weight, NodeSelectorTerm Preference);
