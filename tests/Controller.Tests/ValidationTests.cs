using k8s.Models;
using Fluid.Aspire.Controller.Scheduling;
using static Fluid.Aspire.Controller.Tests.Nodes;

namespace Fluid.Aspire.Controller.Tests;

public sealed class ValidationTests
{
    private readonly StepScheduler _scheduler = new();

    [Theory]
    [InlineData("weight", "Preferred term 1 has weight 0: use 1–100")]
    [InlineData("gt", "Required term 1, expression 1 (cores Gt eight): values must hold exactly one integer for operator Gt")]
    [InlineData("in", "Required term 1, expression 1 (disk In []): values must list at least one value for operator In")]
    [InlineData("exists", "Required term 1, expression 1 (gpu Exists): values must be empty for operator Exists")]
    [InlineData("operator", "Required term 1, expression 1 has the unknown operator 'Near': use In, NotIn, Exists, DoesNotExist, Gt, Lt")]
    [InlineData("empty-term", "Required term 1 has no match expressions")]
    [InlineData("size", "Input 'x' has -1 bytes")]
    [InlineData("previous", "After.Node is empty")]
    public void An_invalid_request_is_refused_with_the_field_and_the_fix(string scenario, string message)
    {
        var request = scenario switch
        {
            "weight" => Step() with { Preferred = [Preferred(0, "disk Exists")] },
            "gt" => Step() with { Required = [Term("cores Gt eight")] },
            "in" => Step() with { Required = [Term("disk In")] },
            "exists" => Step() with { Required = [Term("gpu Exists a100")] },
            "empty-term" => Step() with { Required = [new V1NodeSelectorTerm()] },
            "operator" => Step() with { Required = [Term("zone Near a")] },
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
