using Fluid.Aspire.Contracts;
using k8s.Models;

namespace Fluid.Aspire.Controller.Scheduling;

/// <summary>One input object of a step: its size and the nodes that hold a copy of it.</summary>
/// <param name="Name">The object's name, as reasons show it (e.g. <c>x_train</c>).</param>
/// <param name="Bytes">Its size; inputs weigh in the locality score by their share of the step's input bytes.</param>
/// <param name="Nodes">The names of the nodes holding a copy. A holder that is not a candidate node counts for
/// nothing: its zone and region are unknown.</param>
public sealed record StepInput(string Name, long Bytes, IReadOnlyList<string> Nodes)
{
    public StepInput(string name, long bytes, params string[] nodes)
        : this(name, bytes, (IReadOnlyList<string>)nodes)
    {
    }
}

/// <summary>What <c>runAfter.affinityStrategy.policy</c> asks of the previous step's node.</summary>
public enum AffinityPolicy
{
    /// <summary>Run on the previous step's node or not at all.</summary>
    Require,

    /// <summary>Score the previous step's node, its rack, zone and region, like a holder of data.</summary>
    Prefer,
}

/// <summary>The node the previous step of the flow (its <c>runAfter</c>) ran on, and how much that binds this one.</summary>
public sealed record PreviousStep(string Node, AffinityPolicy Policy);

/// <summary>Everything the scheduler weighs for one step.</summary>
public sealed record SchedulingRequest
{
    /// <summary>The step's name, for the reasons.</summary>
    public required string Step { get; init; }

    /// <summary>Node selector terms, any one of which a node must match; empty: no constraint.</summary>
    public IReadOnlyList<V1NodeSelectorTerm> Required { get; init; } = [];

    /// <summary>Terms that add their weight (1–100) to the score of every node they match.</summary>
    public IReadOnlyList<V1PreferredSchedulingTerm> Preferred { get; init; } = [];

    /// <summary>The step's input objects and where their copies are.</summary>
    public IReadOnlyList<StepInput> Inputs { get; init; } = [];

    /// <summary>The previous step's node, when the step runs after another.</summary>
    public PreviousStep? After { get; init; }

    /// <summary>What the step requests of a node (<c>resources.requests</c>: cores for <c>cpu</c>, bytes for <c>memory</c>); it runs only where that is free.</summary>
    public IReadOnlyDictionary<string, decimal> Requests { get; init; } = new Dictionary<string, decimal>();

    /// <summary>True when nothing but spreading decides: no inputs, no preferred terms, no previous step.</summary>
    public bool HasNoAffinity => Inputs.Count == 0 && Preferred.Count == 0 && After is null;

    /// <summary>The problems with this request, each naming the field and how to fix it.</summary>
    public IEnumerable<string> Validate()
    {
        if (Required is null || Preferred is null || Inputs is null)
        {
            yield return "Required, Preferred and Inputs must not be null: pass an empty list for none.";
            yield break;
        }

        for (var i = 0; i < Required.Count; i++)
        {
            if (Required[i] is not { } term)
            {
                yield return $"Required term {i + 1} is null: remove it.";
                continue;
            }

            foreach (var problem in Validate(term, $"Required term {i + 1}"))
            {
                yield return problem;
            }
        }

        for (var i = 0; i < Preferred.Count; i++)
        {
            if (Preferred[i] is not { } preferred || preferred.Preference is null)
            {
                yield return $"Preferred term {i + 1} has no term: give one, or remove the entry.";
                continue;
            }

            if (preferred.Weight is < 1 or > 100)
            {
                yield return $"Preferred term {i + 1} has weight {preferred.Weight}: use 1–100, as in Kubernetes.";
            }

            foreach (var problem in Validate(preferred.Preference, $"Preferred term {i + 1}"))
            {
                yield return problem;
            }
        }

        long total = 0;
        for (var i = 0; i < Inputs.Count; i++)
        {
            if (Inputs[i] is not { } input)
            {
                yield return $"Input {i + 1} is null: remove it.";
                continue;
            }

            if (string.IsNullOrEmpty(input.Name))
            {
                yield return $"Input {i + 1} has no name: name the object, as reasons show it.";
            }

            if (input.Bytes < 0)
            {
                yield return $"Input '{input.Name}' has {input.Bytes} bytes: a size cannot be negative; use 0 when unknown.";
            }
            else
            {
                total = total > long.MaxValue - input.Bytes ? long.MaxValue : total + input.Bytes;
            }

            if (input.Nodes is null)
            {
                yield return $"Input '{input.Name}' has no node list: pass an empty list when no node holds a copy.";
            }
        }

        if (total == long.MaxValue)
        {
            yield return "The inputs add up to 8 EiB or more: check the sizes (bytes, not bits or blocks).";
        }

        if (After is not null && string.IsNullOrEmpty(After.Node))
        {
            yield return "After.Node is empty: name the node the previous step ran on, or leave After unset.";
        }
    }

    private static IEnumerable<string> Validate(V1NodeSelectorTerm term, string where)
    {
        if (term.MatchExpressions is not { Count: > 0 } expressions)
        {
            yield return $"{where} has no match expressions, so it matches no node: add an expression or drop the term.";
            yield break;
        }

        if (term.MatchFields is { Count: > 0 })
        {
            yield return $"{where} has match fields, which the scheduler does not read: select by labels with match expressions.";
        }

        for (var i = 0; i < expressions.Count; i++)
        {
            var at = $"{where}, expression {i + 1}";
            switch (expressions[i])
            {
                case null:
                    yield return $"{at} is null: remove it.";
                    break;
                case { Key: null or "" }:
                    yield return $"{at} has an empty key: name the label to match, for example topology.kubernetes.io/zone.";
                    break;
                case var expression when !NodeSelectorOperators.All.Contains(expression.OperatorProperty):
                    yield return $"{at} has the unknown operator '{expression.OperatorProperty}': use {string.Join(", ", NodeSelectorOperators.All)}.";
                    break;
                case var expression when expression.ValuesProblem() is { } problem:
                    yield return $"{at} ({expression.Describe()}): values {problem}.";
                    break;
            }
        }
    }
}
