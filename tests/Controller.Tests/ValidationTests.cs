using Fluid.Aspire.Controller.Scheduling;
using static Fluid.Aspire.Controller.Tests.Nodes;

namespace Fluid.Aspire.Controller.Tests;

public sealed class ValidationTests
{
    private readonly StepScheduler _scheduler = new();

    [Theory]
    [InlineData("weight", "Preferred term 1 has weight 0: use 1–100")]
    [InlineData("gt", "Required term 1, expression 1 (cores Gt) needs exactly one integer value")]
    [InlineData("in", "Required term 1, expression 1 (disk In) has no values")]
    [InlineData("exists", "Required term 1, expression 1 (gpu Exists) has values: Exists takes none")]
    [InlineData("empty-term", "Required term 1 has no match expressions")]
    [InlineData("size", "Input 'x' has -1 bytes")]
    [InlineData("previous", "After.Node is empty")]
    public void An_invalid_request_is_refused_with_the_field_and_the_fix(string scenario, string message)
    {
        var request = scenario switch
        {
            "weight" => Step() with { Preferred = [new PreferredSchedulingTerm(0, Term("disk Exists"))] },
            "gt" => Step() with { Required = [new NodeSelectorTerm(new NodeSelectorRequirement("cores", NodeSelectorOperator.Gt, "eight"))] },
            "in" => Step() with { Required = [new NodeSelectorTerm(new NodeSelectorRequirement("disk", NodeSelectorOperator.In))] },
            "exists" => Step() with { Required = [new NodeSelectorTerm(new NodeSelectorRequirement("gpu", NodeSelectorOperator.Exists, "a100"))] },
            "empty-term" => Step() with { Required = [new NodeSelectorTerm()] },
            "size" => Step(new StepInput("x", -1, "node-0")),
            _ => Step() with { After = new PreviousStep("", AffinityPolicy.Prefer) },
        };

        var error = Assert.Throws<ArgumentException>(() => _scheduler.Schedule(FourInTwoRegions(), request));

        Assert.Contains("step 'train' is invalid", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_weight_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentException>(() => new StepScheduler(new LocalityWeights { SameZone = -1 }));

        Assert.Contains("SameZone is -1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_listed_twice_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentException>(() => CandidateNodes.Create([Node("node-0"), Node("node-1"), Node("node-0")]));

        Assert.Contains("'node-0' is listed twice", error.Message, StringComparison.Ordinal);
    }
}
