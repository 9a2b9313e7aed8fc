using Fluid.Aspire.Contracts;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Fluid.Aspire.Controller.Scheduling;

/// <summary>The locality tier two nodes share; the best one counts.</summary>
internal enum Tier : byte
{
    None,
    Region,
    Zone,
    Rack,
    Node,
}

/// <summary>Receives the terms of a score as they are added; the struct type argument lets the JIT drop them entirely
/// when nobody listens (<see cref="NoSink"/>), which is the hot path.</summary>
internal interface IScoreSink
{
    void Data(int input, Tier tier, int holder, double points);

    void Previous(Tier tier, double points);

    void Preferred(int term, double points);
}

internal struct NoSink : IScoreSink
{
    public readonly void Data(int input, Tier tier, int holder, double points)
    {
    }

    public readonly void Previous(Tier tier, double points)
    {
    }

    public readonly void Preferred(int term, double points)
    {
    }
}

/// <summary>
/// One request compiled against one set of candidates: holders resolved to node indices, inputs to their share of
/// the bytes, selector terms to lookup tables. Immutable once built, so the decision can keep it to explain scores
/// later.
/// </summary>
internal sealed class ScoringContext
{
    private readonly double _sameNode;
    private readonly double _sameRack;
    private readonly double _sameZone;
    private readonly double _sameRegion;
    private readonly long[] _inputBytes;
    private readonly double[] _inputShares;
    private readonly int[][] _holders;
    private readonly CompiledTerm[] _preferred;
    private readonly int[] _preferredWeights;

    public ScoringContext(CandidateNodes nodes, SchedulingRequest request, LocalityWeights weights)
    {
        Nodes = nodes;
        Request = request;
        _sameNode = weights.SameNode;
        _sameRack = weights.SameRack;
        _sameZone = weights.SameZone;
        _sameRegion = weights.SameRegion;

        var inputs = request.Inputs;
        _inputBytes = new long[inputs.Count];
        _inputShares = new double[inputs.Count];
        _holders = new int[inputs.Count][];
        long total = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            _inputBytes[i] = inputs[i].Bytes;
            total += inputs[i].Bytes;
            var holders = new List<int>(inputs[i].Nodes.Count);
            foreach (var name in inputs[i].Nodes)
            {
                if (nodes.IndexOf(name) is var index and >= 0)
                {
                    holders.Add(index);
                }
            }

            _holders[i] = [.. holders];
        }

        // Each input weighs by its share of the bytes, so that where the 1 GiB input lives matters more than where
        // the 1 KiB one does. When every input is empty, they share equally.
        for (var i = 0; i < inputs.Count; i++)
        {
            _inputShares[i] = total > 0 ? (double)_inputBytes[i] / total : 1.0 / inputs.Count;
        }

        Required = new CompiledTerm[request.Required.Count];
        for (var i = 0; i < Required.Length; i++)
        {
            Required[i] = new CompiledTerm(nodes, request.Required[i]);
        }

        _preferred = new CompiledTerm[request.Preferred.Count];
        _preferredWeights = new int[request.Preferred.Count];
        for (var i = 0; i < _preferred.Length; i++)
        {
            _preferred[i] = new CompiledTerm(nodes, request.Preferred[i].Preference);
            _preferredWeights[i] = request.Preferred[i].Weight;
        }

        Previous = request.After is { } after ? nodes.IndexOf(after.Node) : -1;
    }

    public CandidateNodes Nodes { get; }

    public SchedulingRequest Request { get; }

    public CompiledTerm[] Required { get; }

    /// <summary>The index of the previous step's node; -1 when there is none or it is not a candidate.</summary>
    public int Previous { get; }

    /// <summary>The node's score: locality to each input weighed by its share of the bytes, locality to the previous
    /// step's node when the policy is Prefer, and the weights of the preferred terms it matches.</summary>
    public double Score<TSink>(int node, out long bytesToMove, ref TSink sink)
        where TSink : struct, IScoreSink
    {
        var score = 0.0;
        long move = 0;
        var holdersByInput = _holders;
        for (var input = 0; input < holdersByInput.Length; input++)
        {
            var holders = holdersByInput[input];
            var best = 0.0;
            var bestTier = Tier.None;
            var via = -1;
            var holds = false;
            for (var h = 0; h < holders.Length; h++)
            {
                var holder = holders[h];
                if (holder == node)
                {
                    holds = true;
                    best = _sameNode;
                    bestTier = Tier.Node;
                    via = holder;
                    break;
                }

                var points = Locality(node, holder, out var tier);
                if (points > best)
                {
                    best = points;
                    bestTier = tier;
                    via = holder;
                }
            }

            if (!holds)
            {
                move += _inputBytes[input];
            }

            if (best > 0)
            {
                var points = best * _inputShares[input];
                score += points;
                sink.Data(input, bestTier, via, points);
            }
        }

        if (Previous >= 0 && Request.After!.Policy == AffinityPolicy.Prefer)
        {
            var tier = Tier.Node;
            var points = Previous == node ? _sameNode : Locality(node, Previous, out tier);
            if (points > 0)
            {
                score += points;
                sink.Previous(tier, points);
            }
        }

        var preferred = _preferred;
        for (var term = 0; term < preferred.Length; term++)
        {
            if (preferred[term].Matches(node))
            {
                score += _preferredWeights[term];
                sink.Preferred(term, _preferredWeights[term]);
            }
        }

        bytesToMove = move;
        return Math.Round(score, 6);
    }

    /// <summary>The contributions of one node's score, in words.</summary>
    public ScoreContribution[] Explain(int node)
    {
        var explainer = new Explainer(this);
        Score(node, out _, ref explainer);
        return [.. explainer.Contributions];
    }

    /// <summary>
    /// The points of the best tier two different nodes share. Tiers nest: a rack or zone of the same name in another
    /// region (or a rack in another zone) is a different place, so a broader label that differs rules the narrower
    /// ones out; a label only one node carries rules nothing in or out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Locality(int a, int b, out Tier tier)
    {
        var nodes = Nodes;
        int regionA = nodes.Region[a], regionB = nodes.Region[b];
        tier = Tier.None;
        if (regionA >= 0 && regionB >= 0 && regionA != regionB)
        {
            return 0;
        }

        int zoneA = nodes.Zone[a], zoneB = nodes.Zone[b];
        var best = 0.0;
        if (regionA >= 0 && regionA == regionB && _sameRegion > best)
        {
            best = _sameRegion;
            tier = Tier.Region;
        }

        if (zoneA >= 0 && zoneB >= 0 && zoneA != zoneB)
        {
            return best;
        }

        if (zoneA >= 0 && zoneA == zoneB && _sameZone > best)
        {
            best = _sameZone;
            tier = Tier.Zone;
        }

        var rackA = nodes.Rack[a];
        if (rackA >= 0 && rackA == nodes.Rack[b] && _sameRack > best)
        {
            best = _sameRack;
            tier = Tier.Rack;
        }

        return best;
    }

    private static string TierName(Tier tier) => tier switch
    {
        Tier.Rack => "rack",
        Tier.Zone => "zone",
        _ => "region",
    };

    private struct Explainer(ScoringContext context) : IScoreSink
    {
        public List<ScoreContribution> Contributions { get; } = [];

        public readonly void Data(int input, Tier tier, int holder, double points)
        {
            var request = context.Request;
            var name = request.Inputs[input].Name;
            var size = ByteText.Format(context._inputBytes[input]);
            var percent = context._inputShares[input] * 100;
            var share = percent is > 0 and < 0.1 ? "<0.1" : percent.ToString("0.#", CultureInfo.InvariantCulture);
            var what = request.Inputs.Count == 1 ? $"{name} ({size})" : $"{name} ({size}, {share}% of the input bytes)";
            Contributions.Add(new ScoreContribution(
                tier == Tier.Node ? $"holds {what}" : $"same {TierName(tier)} as {context.Nodes.Names[holder]}, which holds {what}",
                points));
        }

        public readonly void Previous(Tier tier, double points)
        {
            var previous = context.Request.After!.Node;
            Contributions.Add(new ScoreContribution(
                tier == Tier.Node ? $"is {previous}, where the previous step ran" : $"same {TierName(tier)} as the previous step's {previous}",
                points));
        }

        public readonly void Preferred(int term, double points) =>
            Contributions.Add(new ScoreContribution($"preferred term {term + 1} ({context.Request.Preferred[term].Preference.Describe()})", points));
    }
}

/// <summary>Sizes in the short binary form reasons use: <c>900 B</c>, <c>64 MiB</c>, <c>1.5 GiB</c>.</summary>
internal static class ByteText
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    public static string Format(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {Units[unit]}");
    }
}
