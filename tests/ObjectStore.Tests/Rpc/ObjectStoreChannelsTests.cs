using Fluid.Aspire.ObjectStore.Cluster;
using Fluid.Aspire.ObjectStore.Rpc;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests.Rpc;

/// <summary>The channels to instances are reused while an instance is registered and closed when it goes.</summary>
public sealed class ObjectStoreChannelsTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_channel_of_an_instance_that_is_gone_is_closed_and_the_others_are_kept()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        using var channels = new ObjectStoreChannels(token: null);
        var live = Instance(1, daemon.RpcEndpoint.ToString().TrimEnd('/'));
        var kept = channels.ClientFor(live);
        var dropped = channels.ClientFor(Instance(2, "http://127.0.0.1:9"));

        channels.Retain((instance, _) => instance == 1);

        Assert.Equal(1, channels.Count);
        Assert.Same(kept, channels.ClientFor(live));
        await kept.StatsAsync(new StatsRequest(), cancellationToken: Cancellation);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await dropped.StatsAsync(new StatsRequest(), cancellationToken: Cancellation));
    }

    [Fact]
    public void An_endpoint_taken_over_by_a_new_instance_keeps_its_channel_until_that_instance_goes()
    {
        using var channels = new ObjectStoreChannels(token: null);
        var first = channels.ClientFor(Instance(1, "http://127.0.0.1:9"));
        var second = channels.ClientFor(Instance(2, "http://127.0.0.1:9"));

        channels.Retain((instance, _) => instance == 2);
        Assert.Same(first, second);
        Assert.Equal(1, channels.Count);
        channels.Retain((instance, _) => instance == 1);
        Assert.Equal(0, channels.Count);
    }

    private static InstanceRecord Instance(int number, string endpoint) => new(
        number, $"node-{number}", new Dictionary<string, string>(), "/tmp/none.sock", endpoint, "127.0.0.1:9", 0, "host", 1, DateTimeOffset.UnixEpoch, 0);
}
