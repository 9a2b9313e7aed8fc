using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>A full store says so, with numbers, and keeps serving; with a spill directory it makes room on disk.</summary>
public sealed class MemoryLimitTests
{
    private const int MiB = 1024 * 1024;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_put_that_does_not_fit_fails_with_NotEnoughMemory_and_the_daemon_serves_on()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "16Mi");
        await using var client = await daemon.ConnectAsync(Cancellation);
        await client.PutAsync(new byte[10 * MiB], new PutOptions { Name = "big" }, Cancellation);

        var error = await Assert.ThrowsAsync<NotEnoughMemoryException>(() => client.CreateBlobAsync(8 * MiB, Cancellation));

        Assert.Equal(ObjectStoreErrorCode.NotEnoughMemory, error.Code);
        Assert.Equal(8 * MiB, error.Requested);
        Assert.Equal(16 * MiB, error.Capacity);
        Assert.InRange(error.Used, 10 * MiB, 11 * MiB);
        Assert.InRange(error.Available, 5 * MiB, 6 * MiB);
        Assert.Contains("requested 8 MiB", error.Message, StringComparison.Ordinal);
        using var stillThere = await client.GetAsync("big", cancellationToken: Cancellation);
        Assert.Equal(10 * MiB, stillThere.Blobs[0].Length);
        await client.PutAsync(new byte[4 * MiB], cancellationToken: Cancellation);
    }

    [Fact]
    public async Task Sealed_unheld_objects_spill_to_disk_when_memory_runs_short_and_load_back_on_get()
    {
        using var spill = new TemporaryDirectory();
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "64Mi", options: ["--spill-path", spill.Path]);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var payloads = Enumerable.Range(0, 5).Select(i => Enumerable.Repeat((byte)(i + 1), 20 * MiB).ToArray()).ToArray();
        var ids = new List<ObjectId>();
        foreach (var payload in payloads)
        {
            ids.Add(await client.PutAsync(payload, cancellationToken: Cancellation));
        }

        // 100 MiB of objects in 64 MiB of memory: the oldest went to disk.
        var stats = await client.GetStatsAsync(Cancellation);
        Assert.True(stats.SpilledBlobs >= 2, $"{stats.SpilledBlobs} blobs spilled");
        Assert.True(Directory.GetFiles(spill.Path, "*.spill").Length >= stats.SpilledBlobs, "every spilled blob has its file");

        for (var i = 0; i < ids.Count; i++)
        {
            using var handle = await client.GetAsync(ids[i], cancellationToken: Cancellation);
            Assert.True(handle.Blobs[0].Span.SequenceEqual(payloads[i]), $"object {i} came back changed");
        }
    }

    [Fact]
    public async Task The_least_recently_used_objects_spill_first()
    {
        using var spill = new TemporaryDirectory();
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "64Mi",
            options: ["--spill-path", spill.Path, "--spill-high", "0.5", "--spill-low", "0.45"]);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var ids = new List<ObjectId>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await client.PutAsync(new byte[7 * MiB], cancellationToken: Cancellation));
        }

        // 34 MiB of 64, over the high watermark of 32: one 7 MiB object is enough to get below 28.8, the oldest.
        await client.PutAsync(new byte[6 * MiB], cancellationToken: Cancellation);
        await Eventually.ReturnsAsync(() => client.GetStatsAsync(Cancellation), s => s.SpilledBlobs > 0,
            TimeSpan.FromSeconds(30), "a blob spilled", Cancellation);

        var oldest = (await client.StatAsync(ids[0], Cancellation)).Meta.Blobs().Select(leaf => $"{leaf.Id}.spill");
        Assert.Equal(oldest, Directory.GetFiles(spill.Path, "*.spill").Select(Path.GetFileName));
    }

    [Fact]
    public async Task Above_the_high_watermark_objects_spill_in_the_background_down_to_the_low_one_and_load_back_on_get()
    {
        using var spill = new TemporaryDirectory();
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "64Mi",
            options: ["--spill-path", spill.Path, "--spill-high", "0.5", "--spill-low", "0.25"]);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var payloads = Enumerable.Range(0, 3).Select(i => Enumerable.Repeat((byte)(i + 1), 12 * MiB).ToArray()).ToArray();
        var ids = new List<ObjectId>();
        foreach (var payload in payloads.Take(2))
        {
            ids.Add(await client.PutAsync(payload, cancellationToken: Cancellation));
        }

        // 24 MiB of 64: below the high watermark, nothing moves.
        Assert.Equal(0, (await client.GetStatsAsync(Cancellation)).SpilledBlobs);

        // 36 MiB: above half, so the oldest go to disk until at most a quarter is used, with room to spare.
        ids.Add(await client.PutAsync(payloads[2], cancellationToken: Cancellation));
        var settled = await Eventually.ReturnsAsync(() => client.GetStatsAsync(Cancellation), s => s.Used <= 16 * MiB,
            TimeSpan.FromSeconds(30), "use down to the low watermark of 16 MiB", Cancellation);
        Assert.Equal(2, settled.SpilledBlobs);
        Assert.Equal(2, Directory.GetFiles(spill.Path, "*.spill").Length);

        for (var i = 0; i < ids.Count; i++)
        {
            using var handle = await client.GetAsync(ids[i], cancellationToken: Cancellation);
            Assert.True(handle.Blobs[0].Span.SequenceEqual(payloads[i]), $"object {i} came back changed");
        }
    }

    [Fact]
    public async Task Objects_held_by_readers_are_never_spilled()
    {
        using var spill = new TemporaryDirectory();
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "32Mi", options: ["--spill-path", spill.Path]);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutAsync(Enumerable.Repeat((byte)5, 20 * MiB).ToArray(), cancellationToken: Cancellation);
        using var held = await client.GetAsync(id, cancellationToken: Cancellation);

        // The only sealed object is held, so nothing can be spilled to make room.
        var error = await Assert.ThrowsAsync<NotEnoughMemoryException>(() => client.CreateBlobAsync(20 * MiB, Cancellation));

        Assert.Contains("held by a client", error.Message, StringComparison.Ordinal);
        Assert.All(held.Blobs[0].Span.ToArray(), b => Assert.Equal(5, b));
    }
}
