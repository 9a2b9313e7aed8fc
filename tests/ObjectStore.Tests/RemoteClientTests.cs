using Fluid.Aspire.ObjectStore.Client.Remote;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>A client on another host, without shared memory, puts and gets by copy over gRPC.</summary>
public sealed class RemoteClientTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_remote_client_puts_and_gets_the_same_objects_a_local_one_sees()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        using var remote = new RemoteObjectStoreClient(daemon.RpcEndpoint);
        await using var local = await daemon.ConnectAsync(Cancellation);
        var bytes = Enumerable.Range(0, 3 * 1024 * 1024 + 123).Select(i => (byte)(i * 7)).ToArray();

        var id = await remote.PutAsync(bytes, new PutOptions { Name = "uploaded" }, Cancellation);

        using (var handle = await local.GetAsync("uploaded", cancellationToken: Cancellation))
        {
            Assert.Equal(id, handle.Id);
            Assert.True(handle.Blobs[0].Span.SequenceEqual(bytes));
        }

        var localId = await local.PutAsync("from the node"u8.ToArray(), new PutOptions { Name = "downloadable" }, Cancellation);
        var copy = await remote.GetAsync("downloadable", Cancellation);
        Assert.Equal(localId, copy.Meta.Id);
        Assert.Equal("from the node"u8.ToArray(), copy.Blobs[0]);
        Assert.Equal(2, (await remote.ListAsync(cancellationToken: Cancellation)).Count);
    }

    [Fact]
    public async Task A_remote_client_gets_the_same_errors_as_a_local_one()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "8Mi");
        using var remote = new RemoteObjectStoreClient(daemon.RpcEndpoint);

        var missing = await Assert.ThrowsAsync<ObjectStoreException>(() => remote.GetAsync("nothing-here", Cancellation));
        Assert.Equal(ObjectStoreErrorCode.NameNotFound, missing.Code);
        var full = await Assert.ThrowsAsync<ObjectStoreException>(() => remote.PutAsync(new byte[16 * 1024 * 1024], cancellationToken: Cancellation));
        Assert.Equal(ObjectStoreErrorCode.NotEnoughMemory, full.Code);
        await remote.PutAsync(new byte[1024], new PutOptions { Name = "small" }, Cancellation);
        var taken = await Assert.ThrowsAsync<ObjectStoreException>(() => remote.PutAsync(new byte[1024], new PutOptions { Name = "small" }, Cancellation));
        Assert.Equal(ObjectStoreErrorCode.NameTaken, taken.Code);

        await using var local = await daemon.ConnectAsync(Cancellation);
        var stats = await local.GetStatsAsync(Cancellation);
        Assert.Equal(1, stats.Objects);
        Assert.Equal(0, stats.UnsealedBlobs);
    }
}
