using Fluid.Aspire.Controller.Scheduling;
using static Fluid.Aspire.Controller.Tests.Nodes;

namespace Fluid.Aspire.Controller.Tests;

public sealed class LocalityTests
{
    private readonly StepScheduler _scheduler = new();

    [Theory]
    [InlineData("", "node-0", 100)]                       // the node holding the copy
    [InlineData("node-0", "node-1", 50)]                  // else its zone
    [InlineData("node-0,node-1", "node-2", 20)]           // else its region
    [InlineData("node-0,node-1,node-2", "node-3", 0)]     // else anywhere
    public void Same_node_beats_same_zone_beats_same_region(string notReady, string expected, double score)
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(notReady), Step(new StepInput("x_train", 64 * MiB, "node-0")));

        Assert.Equal(expected, decision.Node);
        Assert.Equal(score, decision.Scores[0].Score);
    }

    [Fact]
    public void Every_fitting_node_is_scored_best_first()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(), Step(new StepInput("x_train", 64 * MiB, "node-0")));

        Assert.Equal(["node-0", "node-1", "node-2", "node-3"], Names(decision.Scores));
        Assert.Equal([100.0, 50, 20, 0], decision.Scores.Select(s => s.Score));
        Assert.Empty(decision.Filtered);
    }

    [Theory]
    [InlineData("node-2", "node-0", "node-2")]   // the 1 GiB input pulls the step to its node
    [InlineData("node-0", "node-2", "node-0")]
    [InlineData("node-3", "node-0", "node-3")]   // even to another region, away from the 1 KiB one
    public void Inputs_weigh_by_their_size(string bigOn, string smallOn, string expected)
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(),
            Step(new StepInput("small", 1 * KiB, smallOn), new StepInput("big", 1 * GiB, bigOn)));

        Assert.Equal(expected, decision.Node);
    }

    [Fact]
    public void Each_input_contributes_its_tier_weight_times_its_share_of_the_bytes()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(),
            Step(new StepInput("features", 3 * MiB, "node-0"), new StepInput("labels", 1 * MiB, "node-2")));

        // node-0: 100 × 3/4 + 20 × 1/4; node-1: 50 × 3/4 + 20 × 1/4; node-2: 20 × 3/4 + 100 × 1/4; node-3: nothing.
        Assert.Equal(["node-0", "node-1", "node-2", "node-3"], Names(decision.Scores));
        Assert.Equal([80.0, 42.5, 40, 0], decision.Scores.Select(s => s.Score));
        Assert.Equal([1 * MiB, 4 * MiB, 3 * MiB, 4 * MiB], decision.Scores.Select(s => s.BytesToMove));
    }

    [Fact]
    public void The_best_of_several_copies_counts()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(), Step(new StepInput("x", MiB, "node-3", "node-1")));

        Assert.Equal(["node-1", "node-3", "node-0", "node-2"], Names(decision.Scores));
        Assert.Equal([100.0, 100, 50, 20], decision.Scores.Select(s => s.Score));
    }

    [Fact]
    public void Inputs_of_zero_bytes_share_equally()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(),
            Step(new StepInput("a", 0, "node-0"), new StepInput("b", 0, "node-3")));

        Assert.Equal(50.0, decision.Scores.Single(s => s.Node == "node-0").Score);
        Assert.Equal(50.0, decision.Scores.Single(s => s.Node == "node-3").Score);
    }

    [Theory]
    [InlineData("r-1", 75)]   // same rack (and zone)
    [InlineData("r-2", 50)]   // another rack of the same zone
    [InlineData("r-3", 50)]   // no rack label: the zone still counts, the rack cannot
    [InlineData("r-4", 20)]   // a rack of the same name in another zone is another rack
    public void The_rack_tier_counts_only_when_both_nodes_carry_the_label(string node, double score)
    {
        CandidateNode[] nodes =
        [
            Node("r-0", "zone-a", "eu", rack: "rack-1", ready: false),
            Node("r-1", "zone-a", "eu", rack: "rack-1"),
            Node("r-2", "zone-a", "eu", rack: "rack-2"),
            Node("r-3", "zone-a", "eu"),
            Node("r-4", "zone-b", "eu", rack: "rack-1"),
        ];

        var decision = _scheduler.Schedule(nodes, Step(new StepInput("x", MiB, "r-0")));

        Assert.Equal("r-1", decision.Node);
        Assert.Equal(score, decision.Scores.Single(s => s.Node == node).Score);
    }

    [Fact]
    public void A_zone_of_the_same_name_in_another_region_is_another_zone()
    {
        CandidateNode[] nodes = [Node("eu-a", "zone-a", "eu", ready: false), Node("us-a", "zone-a", "us"), Node("eu-b", "zone-b", "eu")];

        var decision = _scheduler.Schedule(nodes, Step(new StepInput("x", MiB, "eu-a")));

        Assert.Equal("eu-b", decision.Node);
        Assert.Equal([20.0, 0], decision.Scores.Select(s => s.Score));
    }

    [Fact]
    public void Weights_are_configurable_and_a_zero_weight_turns_a_tier_off()
    {
        var scheduler = new StepScheduler(new LocalityWeights { SameZone = 0, SameRegion = 30 });

        var decision = scheduler.Schedule(FourInTwoRegions("node-0"), Step(new StepInput("x", MiB, "node-0")));

        Assert.Equal(["node-1", "node-2", "node-3"], Names(decision.Scores));
        Assert.Equal([30.0, 30, 0], decision.Scores.Select(s => s.Score));
    }

    [Fact]
    public void A_copy_on_a_node_that_is_not_a_candidate_counts_for_nothing()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(), Step(new StepInput("x", MiB, "node-9")));

        Assert.Equal("node-0", decision.Node);
        Assert.All(decision.Scores, s => Assert.Equal(0, s.Score));
        Assert.Contains("no node that fits is near a copy of its inputs", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Not_ready_nodes_are_skipped_but_still_place_their_copies()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions("node-0,node-3"), Step(new StepInput("x", MiB, "node-0")));

        Assert.Equal("node-1", decision.Node);
        Assert.Equal(["node-1", "node-2"], Names(decision.Scores));
        Assert.Equal(
            [new FilteredNode("node-0", SchedulingConstraint.NotReady, "not ready"), new FilteredNode("node-3", SchedulingConstraint.NotReady, "not ready")],
            decision.Filtered);
    }
}
