using Fluid.Aspire.Controller.Scheduling;
using static Fluid.Aspire.Controller.Tests.Nodes;

namespace Fluid.Aspire.Controller.Tests;

public sealed class SelectorTermTests
{
    private static readonly CandidateNode[] Labelled =
    [
        Node("n-gpu", labels: [("disk", "nvme"), ("cores", "16"), ("gpu", "a100")]),
        Node("n-hdd", labels: [("disk", "hdd"), ("cores", "4")]),
        Node("n-odd", labels: [("cores", "many")]),
        Node("n-ssd", labels: [("disk", "ssd"), ("cores", "8")]),
    ];

    private readonly StepScheduler _scheduler = new();

    [Theory]
    [InlineData("disk In ssd,nvme", "n-gpu,n-ssd")]
    [InlineData("disk In tape", "")]
    [InlineData("disk NotIn ssd", "n-gpu,n-hdd,n-odd")]            // a node without the label is not in the set
    [InlineData("gpu Exists", "n-gpu")]
    [InlineData("gpu DoesNotExist", "n-hdd,n-odd,n-ssd")]
    [InlineData("cores Gt 4", "n-gpu,n-ssd")]                      // "many" is no integer: neither Gt nor Lt
    [InlineData("cores Lt 8", "n-hdd")]
    [InlineData("cores Gt -1", "n-gpu,n-hdd,n-ssd")]
    [InlineData("rack Exists", "")]                                // a key no node has
    [InlineData("rack DoesNotExist", "n-gpu,n-hdd,n-odd,n-ssd")]
    [InlineData("fluid.io/node In n-hdd", "n-hdd")]
    [InlineData("disk Exists and cores Lt 10", "n-hdd,n-ssd")]     // expressions of a term: all of them
    public void Required_terms_filter_by_every_operator(string term, string fitting)
    {
        var decision = _scheduler.Schedule(Labelled, Step() with { Required = [Term(term)] });

        Assert.Equal(Split(fitting), Names(decision.Scores).Order(StringComparer.Ordinal));
        Assert.All(decision.Filtered, f => Assert.Equal(SchedulingConstraint.RequiredTerms, f.Constraint));
    }

    [Fact]
    public void A_node_matching_any_one_required_term_fits()
    {
        var decision = _scheduler.Schedule(Labelled, Step() with { Required = [Term("gpu Exists"), Term("disk In hdd")] });

        Assert.Equal(["n-gpu", "n-hdd"], Names(decision.Scores));
        Assert.Equal(
            "matches none of the 2 required terms (1: gpu Exists; 2: disk In [hdd])",
            decision.Filtered.Select(f => f.Reason).Distinct().Single());
    }

    [Fact]
    public void With_one_required_term_the_reason_names_the_expression_a_node_fails()
    {
        var decision = _scheduler.Schedule(Labelled, Step() with { Required = [Term("disk Exists and cores Gt 5")] });

        Assert.Equal(["n-gpu", "n-ssd"], Names(decision.Scores));
        Assert.Equal(
            [
                new FilteredNode("n-hdd", SchedulingConstraint.RequiredTerms, "does not match required term 1 (fails cores Gt 5)"),
                new FilteredNode("n-odd", SchedulingConstraint.RequiredTerms, "does not match required term 1 (fails disk Exists)"),
            ],
            decision.Filtered);
    }

    [Fact]
    public void Required_terms_filter_before_locality_scores()
    {
        var decision = _scheduler.Schedule(FourInTwoRegions(),
            Step(new StepInput("x", MiB, "node-0")) with { Required = [Term("topology.kubernetes.io/region In us")] });

        Assert.Equal("node-3", decision.Node);
    }

    [Fact]
    public void Preferred_terms_add_their_weight_to_the_nodes_they_match()
    {
        var decision = _scheduler.Schedule(Labelled, Step() with
        {
            Preferred = [Preferred(30, "disk In ssd,nvme"), Preferred(45, "cores Gt 10")],
        });

        Assert.Equal(["n-gpu", "n-ssd", "n-hdd", "n-odd"], Names(decision.Scores));
        Assert.Equal([75.0, 30, 0, 0], decision.Scores.Select(s => s.Score));
        Assert.Equal(
            ["preferred term 1 (disk In [ssd, nvme]): +30", "preferred term 2 (cores Gt 10): +45"],
            decision.Scores[0].Contributions.Select(c => c.ToString()));
    }

    [Fact]
    public void A_preferred_term_can_outweigh_a_zone_but_not_the_node_holding_the_data()
    {
        var nodes = FourInTwoRegions();
        var request = Step(new StepInput("x", MiB, "node-0")) with
        {
            Preferred = [Preferred(40, "topology.kubernetes.io/zone In zone-b")],
        };

        var decision = _scheduler.Schedule(nodes, request);

        // node-0 100; node-2 20 + 40 = 60 beats node-1's zone 50.
        Assert.Equal(["node-0", "node-2", "node-1", "node-3"], Names(decision.Scores));
    }
}
