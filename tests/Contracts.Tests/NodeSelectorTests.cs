using k8s.Models;

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

    private static V1NodeSelectorRequirement Requirement(string key, string op, params string[] values) => NodeSelectors.Requirement(key, op, values);

    [Theory]
    [InlineData("topology.kubernetes.io/zone", "In", new[] { "zone-a", "zone-b" }, true)]
    [InlineData("topology.kubernetes.io/zone", "In", new[] { "zone-b" }, false)]
    [InlineData("missing", "In", new[] { "zone-a" }, false)]
    [InlineData("topology.kubernetes.io/zone", "NotIn", new[] { "zone-b" }, true)]
    [InlineData("topology.kubernetes.io/zone", "NotIn", new[] { "zone-a" }, false)]
    [InlineData("missing", "NotIn", new[] { "zone-a" }, true)]
    [InlineData("arch", "Exists", new string[0], true)]
    [InlineData("missing", "Exists", new string[0], false)]
    [InlineData("missing", "DoesNotExist", new string[0], true)]
    [InlineData("arch", "DoesNotExist", new string[0], false)]
    [InlineData("cpus", "Gt", new[] { "4" }, true)]
    [InlineData("cpus", "Gt", new[] { "8" }, false)]
    [InlineData("cpus", "Lt", new[] { "16" }, true)]
    [InlineData("cpus", "Lt", new[] { "8" }, false)]
    [InlineData("cpus", "Gt", new[] { "-1" }, true)]
    [InlineData("arch", "Gt", new[] { "1" }, false)]
    [InlineData("missing", "Lt", new[] { "1" }, false)]
    [InlineData("cpus", "Gt", new[] { "four" }, false)]
    [InlineData("cpus", "Gt", new[] { "1", "2" }, false)]
    public void Each_operator_matches_as_in_Kubernetes(string key, string op, string[] values, bool expected)
    {
        Assert.Equal(expected, Requirement(key, op, values).Matches(Node));
    }

    [Fact]
    public void Requirements_of_a_term_are_ANDed()
    {
        var term = NodeSelectors.Term(Requirement("topology.kubernetes.io/zone", "In", "zone-a"), Requirement("cpus", "Gt", "4"));
        var unmet = ResourceJson.Clone(term);
        unmet.MatchExpressions.Add(Requirement("arch", "In", "arm64"));

        Assert.True(term.Matches(Node));
        Assert.False(unmet.Matches(Node));
    }

    [Fact]
    public void A_term_without_requirements_matches_no_node()
    {
        Assert.False(new V1NodeSelectorTerm().Matches(Node));
        Assert.False(NodeSelectors.Term().Matches(Node));
    }

    [Fact]
    public void Terms_of_a_selector_are_ORed_and_an_empty_selector_matches_nothing()
    {
        var selector = new V1NodeSelector
        {
            NodeSelectorTerms =
            [
                NodeSelectors.Term(Requirement("arch", "In", "arm64")),
                NodeSelectors.Term(Requirement("fluid.io/node", "In", "node-1")),
            ],
        };

        Assert.True(selector.Matches(Node));
        Assert.False(selector.Matches(new Dictionary<string, string> { ["arch"] = "x86" }));
        Assert.False(new V1NodeSelector().Matches(Node));
    }

    [Fact]
    public void An_affinity_without_required_terms_admits_every_node()
    {
        Assert.True(new NodeAffinity().Matches(new Dictionary<string, string>()));
        Assert.False(new NodeAffinity { Required = new V1NodeSelector() }.Matches(Node));
    }

    [Fact]
    public void Label_values_compare_exactly()
    {
        Assert.False(Requirement("topology.kubernetes.io/zone", "In", "Zone-A").Matches(Node));
    }

    [Fact]
    public void Requirements_and_terms_read_as_the_scheduler_says_them()
    {
        Assert.Equal("disk In [ssd, nvme]", Requirement("disk", "In", "ssd", "nvme").Describe());
        Assert.Equal("gpu Exists", Requirement("gpu", "Exists").Describe());
        Assert.Equal("disk Exists and cores Gt 5", NodeSelectors.Term(Requirement("disk", "Exists"), Requirement("cores", "Gt", "5")).Describe());
        Assert.Equal("no expressions (matches no node)", new V1NodeSelectorTerm().Describe());
    }
}
