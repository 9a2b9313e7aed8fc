using Fluid.Aspire.Cache.Reading;
using Fluid.Aspire.Cache.Tests.Blocks;
using static Fluid.Aspire.Cache.Tests.Reading.TestDataset;

namespace Fluid.Aspire.Cache.Tests.Reading;

/// <summary>Preloading a dataset's files into the cache, as a DataLoad does.</summary>
public sealed class PreloadTests
{
    [Fact]
    public async Task A_preload_pins_every_block_reports_progress_and_a_second_one_fetches_nothing()
    {
        (string, int)[] files = [("train/a.bin", (3 * BlockSize) + 5), ("train/b.bin", BlockSize), ("test/c.bin", 100), ("other.bin", 2 * BlockSize)];
        await using var test = await OpenAsync("http", files: files);
        var reports = new List<PreloadProgress>();
        var progress = new SynchronousProgress(reports);

        var done = await test.Dataset.PreloadAsync(["/train", "test/c.bin"], pin: true, progress, Cancellation);
        var requestsAfterFirst = await test.RequestsAsync();
        var again = await test.Dataset.PreloadAsync(["/train/", "/test/c.bin"], pin: true, progress: null, Cancellation);

        var listing = await test.Dataset.ListAsync(Cancellation);
        var loaded = listing.Files.Where(f => f.Path != "/other.bin").ToList();
        long total = loaded.Sum(f => f.Length);
        Assert.Equal(new PreloadProgress(3, 3, total, total), done);
        Assert.Equal(done, again);
        Assert.Equal(done, reports[^1]);
        Assert.Equal(reports.Select(r => r.BytesDone).Order(), reports.Select(r => r.BytesDone));
        Assert.All(loaded, f => Assert.True(test.Cache.Store.IsPinned(TestCache.Dataset, f.FileId), $"{f.Path} is pinned"));
        Assert.False(test.Cache.Store.IsPinned(TestCache.Dataset, listing.Find("/other.bin")!.FileId));
        Assert.Equal(4 + 1 + 1, test.Cache.Store.Snapshot().Tiers.Single().PinnedBlocks);
        Assert.Equal(total, test.Dataset.Stats().BytesPreloaded);
        Assert.Equal(total, test.Storage.BytesFetched());
        Assert.Equal(requestsAfterFirst, await test.RequestsAsync());
        Assert.Equal(3, test.Storage.Streams);
    }

    [Fact]
    public async Task A_preload_goes_on_where_an_earlier_one_stopped_fetching_only_missing_blocks()
    {
        const int length = 10 * BlockSize;
        await using var test = await OpenAsync("http", files: [("big.bin", length)]);
        await using (var reader = await test.Dataset.OpenReadAsync("/big.bin", Cancellation))
        {
            // Blocks 2 and 6 cached, as a preload killed midway would leave some.
            reader.Seek(2 * BlockSize, SeekOrigin.Begin);
            await reader.ReadExactlyAsync(new byte[10], Cancellation);
            reader.Seek(6 * BlockSize, SeekOrigin.Begin);
            await reader.ReadExactlyAsync(new byte[10], Cancellation);
        }

        var done = await test.Dataset.PreloadAsync([], pin: false, progress: null, Cancellation);

        Assert.Equal(new PreloadProgress(1, 1, length, length), done);
        Assert.Equal([1], test.Storage.FetchesPerByte(await test.StatAsync("big.bin")).Distinct());
        Assert.Equal(8L * BlockSize, test.Dataset.Stats().BytesPreloaded);
        Assert.Equal((2, 3), (test.Storage.Ranges, test.Storage.Streams)); // 0-1, 3-5 and 7-9, one stream each.
        await using var stream = await test.Dataset.OpenReadAsync("/big.bin", Cancellation);
        Assert.Equal(test.Contents("big.bin"), await ReadAllAsync(stream));
    }

    [Fact]
    public async Task A_path_that_matches_nothing_is_refused_naming_it()
    {
        await using var test = await OpenAsync("local", files: [("a.bin", 10)]);

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => test.Dataset.PreloadAsync(["/missing"], pin: false, progress: null, Cancellation));

        Assert.StartsWith("'/missing' is neither a file nor a directory of dataset default/mnist", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Records reports as they are made (Progress{T} would post them to the thread pool, out of order).</summary>
    private sealed class SynchronousProgress(List<PreloadProgress> reports) : IProgress<PreloadProgress>
    {
        public void Report(PreloadProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
