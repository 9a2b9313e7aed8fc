using Fluid.Aspire.Contracts;
using System.Buffers;
using System.Globalization;
using System.Text;

namespace Fluid.Aspire.Controller.Scheduling;

/// <summary>
/// Chooses the node for a pipeline step by tiered data locality. Nodes that are not ready, that have too little left
/// of a resource the step requests, that the previous step's Require policy excludes, or that match none of the
/// required terms are filtered out; each remaining node scores
/// <list type="bullet">
/// <item>for each input, the weight of the best tier it shares with a node holding a copy (node 100, rack 75,
/// zone 50, region 20), times the input's share of the step's input bytes, so the data locality part is at most
/// 100 and a 1 GiB input outweighs a 1 KiB one;</item>
/// <item>with the policy Prefer, the weight of the best tier it shares with the previous step's node;</item>
/// <item>the weight of every preferred term it matches.</item>
/// </list>
/// Ties go to fewer input bytes to move, then fewer running steps, then the name (ordinal), so a step with no
/// inputs and no affinity spreads over the least busy nodes. Stateless and thread-safe.
/// </summary>
public sealed class StepScheduler
{
    private const int NamesInReason = 5;
    private const string NotReady = "not ready";

    public StepScheduler()
        : this(LocalityWeights.Default)
    {
    }

    /// <exception cref="ArgumentException">A weight is negative or not finite; the message names it.</exception>
    public StepScheduler(LocalityWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var problems = weights.Validate().ToArray();
        if (problems.Length > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(weights));
        }

        Weights = weights;
    }

    public LocalityWeights Weights { get; }

    /// <summary>Indexes the nodes, then schedules; to schedule many steps on the same nodes, index them once with
    /// <see cref="CandidateNodes.Create"/> and use the other overload.</summary>
    public StepPlacement Schedule(IEnumerable<CandidateNode> nodes, SchedulingRequest request) =>
        Schedule(CandidateNodes.Create(nodes), request);

    /// <summary>Chooses a node for the step, or explains why none fits.</summary>
    /// <exception cref="ArgumentException">The request is invalid; the message lists every problem and its fix.</exception>
    public StepPlacement Schedule(CandidateNodes nodes, SchedulingRequest request)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(request);
        var problems = request.Validate().ToArray();
        if (problems.Length > 0)
        {
            throw new ArgumentException($"The scheduling request for step '{request.Step}' is invalid: {string.Join(" ", problems)}", nameof(request));
        }

        var context = new ScoringContext(nodes, request, Weights);
        var reasons = new FilterReasons(context);
        var required = context.Required;
        var pinned = request.After is { Policy: AffinityPolicy.Require };
        var previous = context.Previous;
        var ready = nodes.Ready;
        var running = nodes.RunningSteps;
        var names = nodes.Names;

        // The sort keys live only for this call: rent them rather than leave 24 KiB per thousand nodes to the GC.
        var ranked = ArrayPool<Ranked>.Shared.Rent(nodes.Count);
        var fitting = 0;
        var filtered = new List<FilteredNode>();
        var noSink = default(NoSink);
        for (var node = 0; node < nodes.Count; node++)
        {
            if (!ready[node])
            {
                filtered.Add(new FilteredNode(names[node], SchedulingConstraint.NotReady, NotReady));
                continue;
            }

            if (request.Requests.Count > 0 && Insufficient(request.Requests, nodes.Free[node]) is { } shortage)
            {
                filtered.Add(new FilteredNode(names[node], SchedulingConstraint.Resources, shortage));
                continue;
            }

            if (pinned && node != previous)
            {
                filtered.Add(new FilteredNode(names[node], SchedulingConstraint.PreviousStep, reasons.Pinned));
                continue;
            }

            if (required.Length > 0 && !MatchesAny(required, node))
            {
                filtered.Add(new FilteredNode(names[node], SchedulingConstraint.RequiredTerms, reasons.Unmatched(node)));
                continue;
            }

            var score = context.Score(node, out var bytesToMove, ref noSink);
            ranked[fitting++] = new Ranked(score, bytesToMove, running[node], node);
        }

        var order = ranked.AsSpan(0, fitting);
        order.Sort();
        var scores = new NodeScore[fitting];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = new NodeScore(context, order[i].Node, order[i].Score, order[i].BytesToMove);
        }

        ArrayPool<Ranked>.Shared.Return(ranked);

        return fitting == 0
            ? new StepPlacement(request.Step, null, NothingFits(context, filtered), scores, filtered)
            : new StepPlacement(request.Step, scores[0].Node, Chosen(context, scores, filtered.Count), scores, filtered);
    }

    /// <summary>Which requested resource the node has too little of, in words; null when all fit.</summary>
    private static string? Insufficient(IReadOnlyDictionary<string, decimal> requests, IReadOnlyDictionary<string, decimal>? free)
    {
        if (free is null)
        {
            return null;
        }

        foreach (var (resource, amount) in requests.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (free.TryGetValue(resource, out var left) && left < amount)
            {
                return $"insufficient {resource} (requests {Amount(resource, amount)}, {Amount(resource, Math.Max(0, left))} free)";
            }
        }

        return null;
    }

    private static string Amount(string resource, decimal amount) =>
        resource == "memory" ? Contracts.Quantity.FormatBytes((long)amount) : amount.ToString("0.###", CultureInfo.InvariantCulture);

    private static bool MatchesAny(CompiledTerm[] terms, int node)
    {
        for (var i = 0; i < terms.Length; i++)
        {
            if (terms[i].Matches(node))
            {
                return true;
            }
        }

        return false;
    }

    private static string Chosen(ScoringContext context, NodeScore[] scores, int filtered)
    {
        var request = context.Request;
        var best = scores[0];
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Chose {best.Node} for step '{request.Step}'");
        var among = scores.Length == 1
            ? "the only node that fits"
            : $"{scores.Length} nodes that fit";
        if (filtered > 0)
        {
            among += $" ({filtered} filtered out)";
        }

        if (request.HasNoAffinity)
        {
            text.Append(CultureInfo.InvariantCulture, $", {among}: the step reads no inputs and has no affinity, so it spreads");
            if (scores.Length > 1 && scores[1].RunningSteps > best.RunningSteps)
            {
                text.Append(CultureInfo.InvariantCulture, $" to the node running the fewest steps ({best.RunningSteps}).");
            }
            else if (scores.Length > 1)
            {
                text.Append(CultureInfo.InvariantCulture, $"; {Tied(scores)} nodes run the fewest steps ({best.RunningSteps}) and {best.Node} comes first by name.");
            }
            else
            {
                text.Append('.');
            }

            return text.ToString();
        }

        text.Append(CultureInfo.InvariantCulture, $" with score {best.Score:0.###}, best of {among}");
        if (request.After is { Policy: AffinityPolicy.Require })
        {
            text.Append("; the previous step ran there and the policy is Require");
        }

        text.Append(best.Contributions.Count > 0
            ? $": {string.Join("; ", best.Contributions)}"
            : ": no node that fits is near a copy of its inputs or matches a preferred term");
        if (scores.Length > 1 && scores[1].Score == best.Score)
        {
            var next = scores[1];
            if (next.BytesToMove != best.BytesToMove)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $". It ties with {next.Node} on score and has fewer input bytes to move ({ByteText.Format(best.BytesToMove)} against {ByteText.Format(next.BytesToMove)})");
            }
            else if (next.RunningSteps != best.RunningSteps)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $". It ties with {next.Node} on score and bytes to move, and runs fewer steps ({best.RunningSteps} against {next.RunningSteps})");
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture,
                    $". It ties with {next.Node} on score, bytes to move and running steps, and comes first by name");
            }
        }

        text.Append('.');
        return text.ToString();
    }

    /// <summary>How many nodes share the best node's running-step count (all scores are equal when nothing but
    /// spreading decides).</summary>
    private static int Tied(NodeScore[] scores)
    {
        var count = 1;
        while (count < scores.Length && scores[count].RunningSteps == scores[0].RunningSteps)
        {
            count++;
        }

        return count;
    }

    /// <summary>Why no node fits: every reason with the nodes it excluded, then what would make one fit.</summary>
    private static string NothingFits(ScoringContext context, List<FilteredNode> filtered)
    {
        var request = context.Request;
        if (filtered.Count == 0)
        {
            return $"No node fits step '{request.Step}': there are no candidate nodes. Start a node (its object store " +
                "and cache agent register it) and schedule again.";
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"No node fits step '{request.Step}' among {filtered.Count} candidate nodes. ");
        // One group per reason, the constraints in a fixed order (readiness, resources, the previous step, the terms), so the
        // same situation always reads the same.
        var groups = filtered
            .GroupBy(f => (f.Constraint, f.Reason))
            .OrderBy(g => g.Key.Constraint)
            .Select(g => $"{g.Key.Reason}: {Names(g.Select(f => f.Node).ToList())}");
        text.AppendJoin("; ", groups);
        text.Append(". To fix: ");
        var fixes = new List<string>();
        if (filtered.Exists(f => f.Constraint == SchedulingConstraint.PreviousStep))
        {
            var previous = request.After!.Node;
            fixes.Add(context.Previous < 0
                ? $"{previous}, where the previous step ran, is not a candidate node (it may have left the cluster): bring it back, or use the policy Prefer so the step can run elsewhere"
                : $"the policy Require allows only {previous}: make it fit (see its reason above), or use the policy Prefer");
        }

        if (filtered.Exists(f => f.Constraint == SchedulingConstraint.NotReady))
        {
            fixes.Add("wait for the nodes that are not ready (a node is ready when its object store and cache agent are registered)");
        }

        if (filtered.Exists(f => f.Constraint == SchedulingConstraint.Resources))
        {
            fixes.Add("lower the step's resources.requests, or wait for the steps running on those nodes to end");
        }

        if (filtered.Exists(f => f.Constraint == SchedulingConstraint.RequiredTerms))
        {
            fixes.Add("relax the required terms, or label a node so that it matches them");
        }

        text.AppendJoin("; or ", fixes);
        text.Append('.');
        return text.ToString();
    }

    private static string Names(List<string> nodes) =>
        nodes.Count <= NamesInReason
            ? string.Join(", ", nodes)
            : $"{string.Join(", ", nodes.Take(NamesInReason))} and {nodes.Count - NamesInReason} more";

    /// <summary>The filter reasons, worded once per request rather than once per node.</summary>
    private sealed class FilterReasons
    {
        private readonly ScoringContext _context;
        private readonly string[]? _singleTerm;
        private readonly string? _anyTerm;

        public FilterReasons(ScoringContext context)
        {
            _context = context;
            var request = context.Request;
            if (request.After is { Policy: AffinityPolicy.Require } after)
            {
                Pinned = $"the previous step ran on {after.Node} and the policy is Require";
            }

            if (request.Required.Count == 1)
            {
                // With one term, say which of its expressions the node fails: that is what to relabel or relax.
                var expressions = request.Required[0].MatchExpressions;
                _singleTerm = new string[expressions.Count];
                for (var i = 0; i < expressions.Count; i++)
                {
                    _singleTerm[i] = $"does not match required term 1 (fails {expressions[i].Describe()})";
                }
            }
            else if (request.Required.Count > 1)
            {
                _anyTerm = $"matches none of the {request.Required.Count} required terms " +
                    $"({string.Join("; ", request.Required.Select((t, i) => $"{i + 1}: {t.Describe()}"))})";
            }
        }

        public string Pinned { get; } = "";

        public string Unmatched(int node) =>
            _singleTerm is null ? _anyTerm! : _singleTerm[_context.Required[0].FirstFailure(node)];
    }

    /// <summary>The sort key of a fitting node: score (higher first), bytes to move, running steps, then the index,
    /// which is the name order.</summary>
    private readonly record struct Ranked(double Score, long BytesToMove, int Running, int Node) : IComparable<Ranked>
    {
        public int CompareTo(Ranked other)
        {
            var byScore = other.Score.CompareTo(Score);
            if (byScore != 0)
            {
                return byScore;
            }

            var byBytes = BytesToMove.CompareTo(other.BytesToMove);
            if (byBytes != 0)
            {
                return byBytes;
            }

            var byRunning = Running.CompareTo(other.Running);
            return byRunning != 0 ? byRunning : Node.CompareTo(other.Node);
        }
    }
}
