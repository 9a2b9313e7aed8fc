using Fluid.Aspire.Controller.Scheduling;
using static Fluid.Aspire.Controller.Tests.Nodes;

namespace Fluid.Aspire.Controller.Tests;

public sealed class DecisionTests
{
    private readonly StepScheduler _scheduler = new();

    [Theory]
    [InlineData("all-not-ready", "not ready: node-0, node-1, node-2, node-3", "wait for the nodes that are not ready")]
    [InlineData("required-term", "does not match required term 1 (fails gpu Exists): node-0, node-1, node-2, node-3", "relax the required terms")]
    [InlineData("required-terms", "matches none of the 2 required terms (1: gpu Exists; 2: disk In [ssd]): node-0", "relax the required terms")]
    [InlineData("require-not-ready",
        "not ready: node-1; the previous step ran on node-1 and the policy is Require: node-0, node-2, node-3",
        "the policy Require allows only node-1: make it fit (see its reason above), or use the policy Prefer")]
    [InlineData("require-unknown", "the previous step ran on node-9 and the policy is Require: node-0",
        "node-9, where the previous step ran, is not a candidate node")]
    [InlineData("require-and-term",
        "the previous step ran on node-2 and the policy is Require: node-0, node-1, node-3; does not match required term 1 (fails topology.kubernetes.io/region In [us]): node-2",
        "use the policy Prefer; or relax the required terms")]
    [InlineData("no-candidates", "there are no candidate nodes", "Start a node")]
    public void When_nothing_fits_the_reason_names_the_constraint_and_the_fix(string scenario, string constraint, string fix)
    {
        var (nodes, request) = scenario switch
        {
            "all-not-ready" => (FourInTwoRegions("node-0,node-1,node-2,node-3"), Step()),
            "required-term" => (FourInTwoRegions(), Step() with { Required = [Term("gpu Exists")] }),
            "required-terms" => (FourInTwoRegions(), Step() with { Required = [Term("gpu Exists"), Term("disk In ssd")] }),
            "require-not-ready" => (FourInTwoRegions("node-1"), Step() with { After = new PreviousStep("node-1", AffinityPolicy.Require) }),
            "require-unknown" => (FourInTwoRegions(), Step() with { After = new PreviousStep("node-9", AffinityPolicy.Require) }),
            "require-and-term" => (FourInTwoRegions(), Step() with
            {
                After = new PreviousStep("node-2", AffinityPolicy.Require),
                Required = [Term("topology.kubernetes.io/region In us")],
            }),
            _ => (Array.Empty<CandidateNode>(), Step()),
        };

        var decision = _scheduler.Schedule(nodes, request);

        Assert.False(decision.Scheduled);
        Assert.Null(decision.Node);
        Assert.Empty(decision.Scores);
        Assert.StartsWith("No node fits step 'train'", decision.Reason, StringComparison.Ordinal);
        Assert.Contains(constraint, decision.Reason, StringComparison.Ordinal);
        Assert.Contains(fix, decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_step_runs_only_where_what_it_requests_is_free_and_otherwise_waits_with_the_shortage_named()
    {
        // node-0 has 1 core and 6 GiB left; node-1 4 cores and 1 GiB; node-2 reports no allocatable, so nothing of it is counted.
        CandidateNode[] nodes =
        [
            Node("node-0") with { Free = new Dictionary<string, decimal> { ["cpu"] = 1, ["memory"] = 6 * GiB } },
            Node("node-1") with { Free = new Dictionary<string, decimal> { ["cpu"] = 4, ["memory"] = GiB } },
            Node("node-2", ready: false),
        ];
        var twoCores = Step() with { Requests = new Dictionary<string, decimal> { ["cpu"] = 2, ["memory"] = 512 * MiB } };
        var tooMuch = Step() with { Requests = new Dictionary<string, decimal> { ["cpu"] = 2, ["memory"] = 4 * GiB } };

        var placed = _scheduler.Schedule(nodes, twoCores);
        var waiting = _scheduler.Schedule(nodes, tooMuch);

        Assert.Equal("node-1", placed.Node);
        Assert.Contains(placed.Filtered, f => f.Node == "node-0" && f.Constraint == SchedulingConstraint.Resources);
        Assert.False(waiting.Scheduled);
        Assert.Contains("insufficient cpu (requests 2, 1 free): node-0", waiting.Reason, StringComparison.Ordinal);
        Assert.Contains("insufficient memory (requests 4GiB, 1GiB free): node-1", waiting.Reason, StringComparison.Ordinal);
        Assert.Contains("lower the step's resources.requests, or wait for the steps running on those nodes to end", waiting.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_list_of_filtered_nodes_is_shortened_in_the_reason()
    {
        var nodes = Enumerable.Range(0, 12).Select(i => Node($"node-{i:00}", ready: false));

        var decision = _scheduler.Schedule(nodes, Step());

        Assert.Contains("not ready: node-00, node-01, node-02, node-03, node-04 and 7 more.", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(12, decision.Filtered.Count);
    }

    [Fact]
    public void Contributions_explain_the_score_in_words()
    {
        CandidateNode[] nodes =
        [
            Node("node-0", "zone-a", "eu", labels: ("disk", "ssd")),
            Node("node-1", "zone-a", "eu", ready: false),
            Node("node-2", "zone-b", "eu"),
        ];
        var request = Step(new StepInput("x_train", 64 * MiB, "node-0"), new StepInput("y_train", 1 * MiB, "node-2")) with
        {
            Preferred = [Preferred(30, "disk In ssd")],
            After = new PreviousStep("node-1", AffinityPolicy.Prefer),
        };

        var decision = _scheduler.Schedule(nodes, request);

        var best = decision.Scores[0];
        Assert.Equal("node-0", best.Node);
        Assert.Equal(
            [
                "holds x_train (64 MiB, 98.5% of the input bytes): +98.462",
                "same region as node-2, which holds y_train (1 MiB, 1.5% of the input bytes): +0.308",
                "same zone as the previous step's node-1: +50",
                "preferred term 1 (disk In [ssd]): +30",
            ],
            best.Contributions.Select(c => c.ToString()));
        Assert.Equal(best.Score, Math.Round(best.Contributions.Sum(c => c.Points), 6));
        Assert.Equal(
            "Chose node-0 for step 'train' with score 178.769, best of 2 nodes that fit (1 filtered out): " +
            "holds x_train (64 MiB, 98.5% of the input bytes): +98.462; " +
            "same region as node-2, which holds y_train (1 MiB, 1.5% of the input bytes): +0.308; " +
            "same zone as the previous step's node-1: +50; preferred term 1 (disk In [ssd]): +30.",
            decision.Reason);
    }

    [Fact]
    public void A_single_input_is_explained_without_its_share()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions("node-0"), Step(new StepInput("x_train", 64 * MiB, "node-0", "node-2")));

        Assert.Equal(["same zone as node-0, which holds x_train (64 MiB): +50"], decision.Scores.Single(s => s.Node == "node-1").Contributions.Select(c => c.ToString()));
        Assert.Equal(["holds x_train (64 MiB): +100"], decision.Scores.Single(s => s.Node == "node-2").Contributions.Select(c => c.ToString()));
        Assert.Empty(decision.Scores.Single(s => s.Node == "node-3").Contributions);
    }

    [Fact]
    public void Ties_are_broken_the_same_way_whatever_the_order_of_the_nodes()
    {
        var nodes = FourInTwoRegions();
        var request = Step(new StepInput("x", MiB, "node-3", "node-1"));
        var expected = _scheduler.Schedule(nodes, request);

        foreach (var order in new[] { nodes.Reverse().ToArray(), [nodes[2], nodes[0], nodes[3], nodes[1]] })
        {
            var decision = _scheduler.Schedule(order, request);

            Assert.Equal(Names(expected.Scores), Names(decision.Scores));
            Assert.Equal(expected.Reason, decision.Reason);
        }

        Assert.Equal("node-1", expected.Node);
        Assert.Contains("ties with node-3 on score, bytes to move and running steps, and comes first by name", expected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Equal_sums_reached_in_different_ways_tie()
    {
        CandidateNode[] nodes = [Node("a", labels: ("fast", "yes")), Node("b")];
        var request = Step(new StepInput("x", 1, "b"), new StepInput("y", 1, "b"), new StepInput("z", 1, "b")) with
        {
            Preferred = [Preferred(100, "fast Exists")],
        };

        var decision = _scheduler.Schedule(nodes, request);

        // b: 100/3 three times; a: 100. Equal after rounding, so b wins on bytes to move rather than on a rounding error.
        Assert.Equal(decision.Scores[0].Score, decision.Scores[1].Score);
        Assert.Equal("b", decision.Node);
    }

    [Fact]
    public void Running_steps_break_ties_after_bytes_to_move()
    {
        CandidateNode[] nodes = [Node("node-0", "zone-a", running: 4), Node("node-1", "zone-a", running: 1), Node("node-2", "zone-a", ready: false)];

        var decision = _scheduler.Schedule(nodes, Step(new StepInput("x", MiB, "node-2")));

        Assert.Equal(["node-1", "node-0"], Names(decision.Scores));
        Assert.Contains("runs fewer steps (1 against 4)", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3,1,2,1", "node-1", "2 nodes run the fewest steps (1) and node-1 comes first by name")]
    [InlineData("3,2,2,0", "node-3", "spreads to the node running the fewest steps (0)")]
    [InlineData("0,0,0,0", "node-0", "4 nodes run the fewest steps (0) and node-0 comes first by name")]
    public void A_step_without_inputs_or_affinity_spreads(string running, string expected, string reason)
    {
        var counts = running.Split(',').Select(int.Parse).ToArray();
        var nodes = counts.Select((count, i) => Node($"node-{i}", running: count));

        var decision = _scheduler.Schedule(nodes, Step());

        Assert.Equal(expected, decision.Node);
        Assert.Contains("the step reads no inputs and has no affinity", decision.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_indexed_nodes_can_be_reused_for_many_steps()
    {
        var nodes = CandidateNodes.Create(FourInTwoRegions());

        Assert.Equal("node-3", _scheduler.Schedule(nodes, Step(new StepInput("x", MiB, "node-3"))).Node);
        Assert.Equal("node-2", _scheduler.Schedule(nodes, Step(new StepInput("x", MiB, "node-2"))).Node);
        Assert.Equal(["node-0", "node-1", "node-2", "node-3"], nodes.Nodes.Select(n => n.Name));
    }
}
