namespace Fluid.Aspire.Contracts.Tests;

public sealed class NodeSelectorTests
{
    private static readonly Dictionary<string, string> Node = new()
    {
        ["fluid.io/node"] = "node-1",
        ["topology.kubernetes.io/zone"] = "zone-a",
        ["cpus"] = "8",
        ["arch"] = "x86",
    };

    private static NodeSelectorRequirement Requirement(string key, NodeSelectorOperator op, params string[] values) =>
        new() { Key = key, Operator = op, Values = [.. values] };

    [Theory]
    [InlineData("topology.kubernetes.io/zone", NodeSelectorOperator.In, new[] { "zone-a", "zone-b" }, true)]
    [InlineData("topology.kubernetes.io/zone", NodeSelectorOperator.In, new[] { "zone-b" }, false)]
    [InlineData("missing", NodeSelectorOperator.In, new[] { "zone-a" }, false)]
    [InlineData("topology.kubernetes.io/zone", NodeSelectorOperator.NotIn, new[] { "zone-b" }, true)]
    [InlineData("topology.kubernetes.io/zone", NodeSelectorOperator.NotIn, new[] { "zone-a" }, false)]
    [InlineData("missing", NodeSelectorOperator.NotIn, new[] { "zone-a" }, true)]
    [InlineData("arch", NodeSelectorOperator.Exists, new string[0], true)]
    [InlineData("missing", NodeSelectorOperator.Exists, new string[0], false)]
    [InlineData("missing", NodeSelectorOperator.DoesNotExist, new string[0], true)]
    [InlineData("arch", NodeSelectorOperator.DoesNotExist, new string[0], false)]
    [InlineData("cpus", NodeSelectorOperator.Gt, new[] { "4" }, true)]
    [InlineData("cpus", NodeSelectorOperator.Gt, new[] { "8" }, false)]
    [InlineData("cpus", NodeSelectorOperator.Lt, new[] { "16" }, true)]
    [InlineData("cpus", NodeSelectorOperator.Lt, new[] { "8" }, false)]
    [InlineData("cpus", NodeSelectorOperator.Gt, new[] { "-1" }, true)]
    [InlineData("arch", NodeSelectorOperator.Gt, new[] { "1" }, false)]
    [InlineData("missing", NodeSelectorOperator.Lt, new[] { "1" }, false)]
    [InlineData("cpus", NodeSelectorOperator.Gt, new[] { "four" }, false)]
    [InlineData("cpus", NodeSelectorOperator.Gt, new[] { "1", "2" }, false)]
    public void Each_operator_matches_as_in_Kubernetes(string key, NodeSelectorOperator op, string[] values, bool expected)
    {
        Assert.Equal(expected, Requirement(key, op, values).Matches(Node));
    }

    [Fact]
    public void Requirements_of_a_term_are_ANDed()
    {
        var term = new NodeSelectorTerm
        {
            MatchExpressions =
            {
                Requirement("topology.kubernetes.io/zone", NodeSelectorOperator.In, "zone-a"),
                Requirement("cpus", NodeSelectorOperator.Gt, "4"),
            },
        };
        var unmet = ResourceJson.Clone(term);
        unmet.MatchExpressions.Add(Requirement("arch", NodeSelectorOperator.In, "arm64"));

        Assert.True(term.Matches(Node));
        Assert.False(unmet.Matches(Node));
    }

    [Fact]
    public void A_term_without_requirements_matches_no_node()
    {
        Assert.False(new NodeSelectorTerm().Matches(Node));
    }

    [Fact]
    public void Terms_of_a_selector_are_ORed_and_an_empty_selector_matches_nothing()
    {
        var selector = new NodeSelector
        {
            NodeSelectorTerms =
            {
                new NodeSelectorTerm { MatchExpressions = { Requirement("arch", NodeSelectorOperator.In, "arm64") } },
                new NodeSelectorTerm { MatchExpressions = { Requirement("fluid.io/node", NodeSelectorOperator.In, "node-1") } },
            },
        };

        Assert.True(selector.Matches(Node));
        Assert.False(selector.Matches(new Dictionary<string, string> { ["arch"] = "x86" }));
        Assert.False(new NodeSelector().Matches(Node));
    }

    [Fact]
    public void An_affinity_without_required_terms_admits_every_node()
    {
        Assert.True(new NodeAffinity().Matches(new Dictionary<string, string>()));
        Assert.False(new NodeAffinity { Required = new NodeSelector() }.Matches(Node));
    }

    [Fact]
    public void Label_values_compare_exactly()
    {
        Assert.False(Requirement("topology.kubernetes.io/zone", NodeSelectorOperator.In, "Zone-A").Matches(Node));
    }
}
