using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>Memory goes back when nobody needs it any more: deleted and released, or abandoned by a dead client.</summary>
public sealed class LifetimeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_writer_killed_before_sealing_gives_its_memory_back()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "256Mi");
        await using var client = await daemon.ConnectAsync(Cancellation);
        var baseline = (await client.GetStatsAsync(Cancellation)).Used;

        await using var writer = daemon.StartTestClient("hold-unsealed", $"{96 * 1024 * 1024}");
        await writer.WaitForOutputAsync("READY", Patience, Cancellation);
        var during = await client.GetStatsAsync(Cancellation);
        Assert.True(during.Used >= baseline + (96 * 1024 * 1024), $"used {during.Used}, baseline {baseline}");
        Assert.Equal(1, during.UnsealedBlobs);

        writer.Kill();

        var after = await Eventually.ReturnsAsync(() => client.GetStatsAsync(Cancellation), s => s.Used == baseline, Patience,
            $"memory back to its baseline of {baseline} bytes", Cancellation);
        Assert.Equal(0, after.UnsealedBlobs);
    }

    [Fact]
    public async Task A_deleted_object_stays_readable_while_held_and_its_memory_goes_on_release()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var owner = await daemon.ConnectAsync(Cancellation);
        await using var reader = await daemon.ConnectAsync(Cancellation);
        var baseline = (await owner.GetStatsAsync(Cancellation)).Used;
        var id = await owner.PutAsync(Enumerable.Repeat((byte)9, 1_000_000).ToArray(), new PutOptions { Name = "doomed" }, Cancellation);
        var handle = await reader.GetAsync(id, cancellationToken: Cancellation);

        await owner.DeleteAsync(id, Cancellation);

        var gone = await Assert.ThrowsAsync<ObjectStoreException>(() => owner.GetAsync("doomed", cancellationToken: Cancellation));
        Assert.Equal(ObjectStoreErrorCode.NameNotFound, gone.Code);
        Assert.All(handle.Blobs[0].Span.ToArray(), b => Assert.Equal(9, b));
        Assert.True((await owner.GetStatsAsync(Cancellation)).Used > baseline, "the memory of a held object must stay");

        handle.Dispose();

        await Eventually.ReturnsAsync(() => owner.GetStatsAsync(Cancellation), s => s.Used == baseline, Patience,
            "the memory of the deleted object once released", Cancellation);
        Assert.Throws<ObjectDisposedException>(() => handle.Blobs[0].Span.Length);
    }

    [Fact]
    public async Task A_client_that_disconnects_releases_what_it_held()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var owner = await daemon.ConnectAsync(Cancellation);
        var baseline = (await owner.GetStatsAsync(Cancellation)).Used;
        var id = await owner.PutAsync(new byte[2_000_000], cancellationToken: Cancellation);
        var reader = await daemon.ConnectAsync(Cancellation);
        var handle = await reader.GetAsync(id, cancellationToken: Cancellation);
        await owner.DeleteAsync(id, Cancellation);

        // The handle outlives its client: its memory stays mapped, and the daemon frees the object on disconnect.
        await reader.DisposeAsync();

        Assert.Equal(2_000_000, handle.Blobs[0].Span.Length);
        await Eventually.ReturnsAsync(() => owner.GetStatsAsync(Cancellation), s => s.Used == baseline, Patience,
            "the memory back once the only holder disconnected", Cancellation);
        handle.Dispose();
    }

    [Fact]
    public async Task An_unsealed_blob_cannot_be_got_and_a_dropped_one_is_freed()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        await using var other = await daemon.ConnectAsync(Cancellation);
        var baseline = (await client.GetStatsAsync(Cancellation)).Used;
        var writer = await client.CreateBlobAsync(1_000_000, Cancellation);

        var notSealed = await Assert.ThrowsAsync<ObjectStoreException>(() => other.GetAsync(writer.Id, cancellationToken: Cancellation));
        Assert.Equal(ObjectStoreErrorCode.ObjectNotSealed, notSealed.Code);
        var notOwned = await Assert.ThrowsAsync<ObjectStoreException>(
            () => other.CreateObjectAsync(ObjectTypes.Buffer(writer.Leaf()), cancellationToken: Cancellation));
        Assert.Equal(ObjectStoreErrorCode.BlobNotOwned, notOwned.Code);

        writer.Dispose();

        await Eventually.ReturnsAsync(() => client.GetStatsAsync(Cancellation), s => s.Used == baseline && s.UnsealedBlobs == 0, Patience,
            "the dropped blob freed", Cancellation);
    }

    [Fact]
    public async Task Small_puts_reuse_a_spare_blob_and_trim_what_they_do_not_use()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var ids = new List<ObjectId>();
        for (var i = 0; i < 200; i++)
        {
            ids.Add(await client.PutAsync(BitConverter.GetBytes(i), cancellationToken: Cancellation));
        }

        for (var i = 0; i < ids.Count; i++)
        {
            using var handle = await client.GetAsync(ids[i], cancellationToken: Cancellation);
            Assert.Equal(i, BitConverter.ToInt32(handle.Blobs[0].Span));
        }

        var stats = await client.GetStatsAsync(Cancellation);
        Assert.Equal(200, stats.Objects);
        Assert.True(stats.UnsealedBlobs <= 1, $"at most the one spare is unsealed, not {stats.UnsealedBlobs}");
        Assert.True(stats.Used <= 201 * 64, $"4-byte objects take one 64-byte block each, not {stats.Used / 201} bytes");
    }
}
