using Fluid.Aspire.Contracts;
using k8s.Models;
using Fluid.Aspire.Controller.Scheduling;

namespace Fluid.Aspire.Controller.Tests;

/// <summary>Small clusters and terms for the scheduler tests, written the way people read them.</summary>
internal static class Nodes
{
    public const long KiB = 1024;
    public const long MiB = 1024 * KiB;
    public const long GiB = 1024 * MiB;

    /// <summary>node-0 and node-1 in zone-a, node-2 in zone-b (all region eu), node-3 in zone-c of region us.</summary>
    public static CandidateNode[] FourInTwoRegions(string notReady = "") =>
    [
        Node("node-0", "zone-a", "eu", ready: !IsListed(notReady, "node-0")),
        Node("node-1", "zone-a", "eu", ready: !IsListed(notReady, "node-1")),
        Node("node-2", "zone-b", "eu", ready: !IsListed(notReady, "node-2")),
        Node("node-3", "zone-c", "us", ready: !IsListed(notReady, "node-3")),
    ];

    public static CandidateNode Node(
        string name, string? zone = null, string? region = null, string? rack = null, bool ready = true, int running = 0,
        params (string Key, string Value)[] labels)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal) { ["fluid.io/node"] = name };
        if (zone is not null)
        {
            all["topology.kubernetes.io/zone"] = zone;
        }

        if (region is not null)
        {
            all["topology.kubernetes.io/region"] = region;
        }

        if (rack is not null)
        {
            all["fluid.io/rack"] = rack;
        }

        foreach (var (key, value) in labels)
        {
            all[key] = value;
        }

        return new CandidateNode(name, all, ready, running);
    }

    /// <summary>An expression from its text: <c>disk In ssd,nvme</c>, <c>gpu Exists</c>, <c>cores Gt 8</c>.</summary>
    public static V1NodeSelectorRequirement Expression(string text)
    {
        var parts = text.Split(' ', 3);
        var values = parts.Length == 3 ? parts[2].Split(',') : [];
        return NodeSelectors.Requirement(parts[0], parts[1], values);
    }

    /// <summary>A term from its expressions, separated by " and ".</summary>
    public static V1NodeSelectorTerm Term(string text) => NodeSelectors.Term([.. text.Split(" and ").Select(Expression)]);

    /// <summary>A preferred term of <paramref name="weight"/> from its text.</summary>
    public static V1PreferredSchedulingTerm Preferred(int weight, string text) => NodeSelectors.Preferred(weight, Term(text));

    public static SchedulingRequest Step(params StepInput[] inputs) => new() { Step = "train", Inputs = inputs };

    public static string[] Names(IEnumerable<NodeScore> scores) => scores.Select(s => s.Node).ToArray();

    public static string[] Split(string list) => list.Length == 0 ? [] : list.Split(',');

    private static bool IsListed(string list, string name) => Split(list).Contains(name);
}
