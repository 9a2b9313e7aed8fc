using System.Globalization;

namespace Fluid.Aspire.Controller.Scheduling;

/// <summary>Why a node was not considered.</summary>
public enum SchedulingConstraint
{
    /// <summary>The node is not ready.</summary>
    NotReady,

    /// <summary>The node has too little of a resource the step requests left.</summary>
    Resources,

    /// <summary>The previous step ran on another node and the policy is Require.</summary>
    PreviousStep,

    /// <summary>The node matches none of the required terms.</summary>
    RequiredTerms,
}

/// <summary>A node left out of the choice, the constraint that did it, and the reason in words.</summary>
public sealed record FilteredNode(string Node, SchedulingConstraint Constraint, string Reason)
{
    public override string ToString() => $"{Node}: {Reason}";
}

/// <summary>One term of a node's score: what earned it, in words, and how many points.</summary>
public readonly record struct ScoreContribution(string Description, double Points)
{
    /// <summary>For example <c>holds x_train (64 MiB): +100</c>.</summary>
    public override string ToString() =>
        $"{Description}: +{Points.ToString(Points is > 0 and < 0.001 ? "0.######" : "0.###", CultureInfo.InvariantCulture)}";
}

/// <summary>A node that fits, with its score and what the ties are broken on.</summary>
public sealed class NodeScore
{
    private readonly ScoringContext _context;
    private readonly int _index;
    private ScoreContribution[]? _contributions;

    internal NodeScore(ScoringContext context, int index, double score, long bytesToMove)
    {
        _context = context;
        _index = index;
        Score = score;
        BytesToMove = bytesToMove;
    }

    public string Node => _context.Nodes.Names[_index];

    /// <summary>The sum of the contributions, rounded to 6 decimals so that equal sums compare equal.</summary>
    public double Score { get; }

    /// <summary>The input bytes the node holds no copy of: the first tie-break, fewer first.</summary>
    public long BytesToMove { get; }

    /// <summary>The steps running on the node: the second tie-break, fewer first; the name comes last.</summary>
    public int RunningSteps => _context.Nodes.RunningSteps[_index];

    /// <summary>
    /// What the score is made of, in words. Worked out on first read by the same code that scored the node, so
    /// scoring a thousand nodes formats no text for the ones nobody looks at.
    /// </summary>
    public IReadOnlyList<ScoreContribution> Contributions => _contributions ??= _context.Explain(_index);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Node}: {Score:0.###}") +
        (Contributions.Count == 0 ? "" : $" ({string.Join("; ", Contributions)})");
}

/// <summary>The scheduler's answer for one step: the node, or none and exactly why, with every node's account.</summary>
public sealed class StepPlacement
{
    internal StepPlacement(string step, string? node, string reason, IReadOnlyList<NodeScore> scores, IReadOnlyList<FilteredNode> filtered)
    {
        Step = step;
        Node = node;
        Reason = reason;
        Scores = scores;
        Filtered = filtered;
    }

    public string Step { get; }

    /// <summary>The chosen node; null when no node fits.</summary>
    public string? Node { get; }

    public bool Scheduled => Node is not null;

    /// <summary>Why this node, or why none: the constraints that filtered the nodes, and how to fix it.</summary>
    public string Reason { get; }

    /// <summary>The nodes that fit, best first (score, then fewer bytes to move, fewer running steps, name).</summary>
    public IReadOnlyList<NodeScore> Scores { get; }

    /// <summary>The nodes left out, by name.</summary>
    public IReadOnlyList<FilteredNode> Filtered { get; }

    public override string ToString() => Reason;
}
