using Fluid.Aspire.Cluster.Membership;

namespace Fluid.Aspire.Cluster.Tests;

public sealed class NodeOptionsTests
{
    [Fact]
    public void Locality_properties_become_well_known_labels()
    {
        var options = new NodeOptions { Name = "node-3", Zone = "zone-b", Region = "eu", Labels = { ["gpu"] = "a100" } };

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["fluid.io/node"] = "node-3",
                ["topology.kubernetes.io/zone"] = "zone-b",
                ["topology.kubernetes.io/region"] = "eu",
                ["gpu"] = "a100",
            },
            options.ToLabels());
    }

    [Theory]
    [InlineData("Node_1")]
    [InlineData("-node")]
    [InlineData("")]
    public void An_invalid_node_name_is_reported_with_the_setting_and_the_rule(string name)
    {
        var problems = new NodeOptions { Name = name }.Validate().ToArray();

        var problem = Assert.Single(problems);
        Assert.Contains("Fluid:Node:Name", problem, StringComparison.Ordinal);
        Assert.Contains("lower-case", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lease_ttl_out_of_range_is_reported()
    {
        var problem = Assert.Single(new NodeOptions { Name = "n", LeaseTtlSeconds = 1 }.Validate());

        Assert.Contains("LeaseTtlSeconds", problem, StringComparison.Ordinal);
    }
}
