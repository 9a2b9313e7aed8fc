using Fluid.Aspire.Cluster.Etcd;

namespace Fluid.Aspire.Cluster.Tests;

public sealed class ClusterConnectionStringTests
{
    [Fact]
    public void A_plain_url_is_one_endpoint_with_the_default_prefix()
    {
        var parsed = ClusterConnectionString.Parse("http://127.0.0.1:2379");

        Assert.Equal([new Uri("http://127.0.0.1:2379")], parsed.Endpoints);
        Assert.Equal("/fluid", parsed.Prefix);
        Assert.Null(parsed.Controller);
    }

    [Fact]
    public void The_keyed_form_carries_endpoints_prefix_and_controller()
    {
        var parsed = ClusterConnectionString.Parse(
            "Endpoints=http://10.0.0.1:2379, http://10.0.0.2:2379;Prefix=/team-a/;Controller=http://localhost:5080");

        Assert.Equal([new Uri("http://10.0.0.1:2379"), new Uri("http://10.0.0.2:2379")], parsed.Endpoints);
        Assert.Equal("/team-a", parsed.Prefix);
        Assert.Equal(new Uri("http://localhost:5080"), parsed.Controller);
    }

    [Fact]
    public void ToString_round_trips()
    {
        var original = ClusterConnectionString.Parse("Endpoints=http://10.0.0.1:2379;Prefix=/x;Controller=http://c:1");

        Assert.Equal(original.ToString(), ClusterConnectionString.Parse(original.ToString()).ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Endpoints=127.0.0.1:2379", "not a valid URL")]
    [InlineData("Endpoints=http://h:1;Port=3", "Unknown key 'Port'")]
    [InlineData("Prefix=/fluid", "no Endpoints")]
    [InlineData("Endpoints=http://h:1;Prefix=fluid", "must start with '/'")]
    [InlineData("Endpoints=http://h:1;Controller", "not of the form Key=Value")]
    public void Malformed_strings_are_rejected_with_the_reason(string value, string reason)
    {
        var error = Assert.Throws<FormatException>(() => ClusterConnectionString.Parse(value));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
