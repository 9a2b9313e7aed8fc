using Fluid.Aspire.Controller.Scheduling;
using static Fluid.Aspire.Controller.Tests.Nodes;

namespace Fluid.Aspire.Controller.Tests;

public sealed class FlowAffinityTests
{
    private readonly StepScheduler _scheduler = new();

    [Fact]
    public void Require_keeps_only_the_previous_steps_node()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(),
            Step(new StepInput("x", MiB, "node-0")) with { After = new PreviousStep("node-2", AffinityPolicy.Require) });

        Assert.Equal("node-2", decision.Node);
        Assert.Equal(["node-2"], Names(decision.Scores));
        Assert.Equal(["node-0", "node-1", "node-3"], decision.Filtered.Select(f => f.Node));
        Assert.All(decision.Filtered, f =>
        {
            Assert.Equal(SchedulingConstraint.PreviousStep, f.Constraint);
            Assert.Equal("the previous step ran on node-2 and the policy is Require", f.Reason);
        });
        Assert.Contains("the previous step ran there and the policy is Require", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("node-1", "", "node-1", 100)]                     // the previous step's node
    [InlineData("node-1", "node-1", "node-0", 50)]                // its zone
    [InlineData("node-1", "node-0,node-1", "node-2", 20)]         // its region
    [InlineData("node-3", "node-3", "node-0", 0)]                 // nothing near: the name decides
    public void Prefer_adds_the_tier_weight_of_the_previous_steps_node(string previous, string notReady, string expected, double score)
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(notReady), Step() with { After = new PreviousStep(previous, AffinityPolicy.Prefer) });

        Assert.Equal(expected, decision.Node);
        Assert.Equal(score, decision.Scores[0].Score);
    }

    [Fact]
    public void Prefer_scores_the_previous_steps_zone_and_region_like_a_copy_of_data()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions("node-1"), Step() with { After = new PreviousStep("node-1", AffinityPolicy.Prefer) });

        Assert.Equal(["node-0", "node-2", "node-3"], Names(decision.Scores));
        Assert.Equal([50.0, 20, 0], decision.Scores.Select(s => s.Score));
        Assert.Equal("same zone as the previous step's node-1: +50", Assert.Single(decision.Scores[0].Contributions).ToString());
    }

    [Fact]
    public void Prefer_and_data_add_up_and_a_tie_goes_to_fewer_bytes_to_move()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(),
            Step(new StepInput("x", MiB, "node-0")) with { After = new PreviousStep("node-2", AffinityPolicy.Prefer) });

        // node-0: 100 (holds x) + 20 (region of node-2); node-2: 20 (region of node-0) + 100 (previous step).
        Assert.Equal(["node-0", "node-2", "node-1", "node-3"], Names(decision.Scores));
        Assert.Equal([120.0, 120, 70, 0], decision.Scores.Select(s => s.Score));
        Assert.Contains("ties with node-2 on score and has fewer input bytes to move (0 B against 1 MiB)", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_previous_node_that_is_not_a_candidate_adds_nothing_under_Prefer()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(), Step() with { After = new PreviousStep("node-9", AffinityPolicy.Prefer) });

        Assert.Equal("node-0", decision.Node);
        Assert.All(decision.Scores, s => Assert.Equal(0, s.Score));
    }
}
