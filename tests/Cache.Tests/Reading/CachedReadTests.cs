using Fluid.Aspire.Cache.Reading;
using Fluid.Aspire.Cache.Tests.Blocks;
using static Fluid.Aspire.Cache.Tests.Reading.TestDataset;

namespace Fluid.Aspire.Cache.Tests.Reading;

/// <summary>Reading dataset files through the block cache, from a real nginx and from local files.</summary>
public sealed class CachedReadTests
{
    // Ten whole blocks and a short last one.
    private const int FileLength = (10 * BlockSize) + 12_345;

    [Theory]
    [InlineData("http")]
    [InlineData("local")]
    public async Task A_file_reads_byte_for_byte_cold_warm_and_at_random_seeks_and_the_warm_pass_asks_the_source_for_nothing(string source)
    {
        await using var test = await OpenAsync(source, files: [("train/big.bin", FileLength)]);
        var expected = test.Contents("train/big.bin");
        var listed = (await test.Dataset.ListAsync(Cancellation)).Find("/train/big.bin")!;
        var requestsBefore = source == "http" ? await test.RequestsAsync("train/big.bin") : 0;

        byte[] cold;
        await using (var stream = await test.Dataset.OpenReadAsync("/train/big.bin", Cancellation))
        {
            Assert.Equal(FileLength, stream.Length);
            cold = await ReadAllAsync(stream);
        }

        var fetchedCold = test.Storage.BytesFetched();
        var requestsCold = source == "http" ? await test.RequestsAsync("train/big.bin") : 0;
        byte[] warm;
        await using (var stream = await test.Dataset.OpenReadAsync("train/big.bin", Cancellation))
        {
            warm = await ReadAllAsync(stream, bufferSize: 7_777);
        }

        var random = new Random(17);
        await using (var stream = await test.Dataset.OpenReadAsync("/train/big.bin", Cancellation))
        {
            for (var i = 0; i < 200; i++)
            {
                var offset = random.NextInt64(FileLength + 10);
                var buffer = new byte[random.Next(1, 3 * BlockSize)];
                Assert.Equal(offset, i % 2 == 0 ? stream.Seek(offset, SeekOrigin.Begin) : stream.Seek(offset - stream.Position, SeekOrigin.Current));
                var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, Cancellation);
                var want = (int)Math.Clamp(FileLength - offset, 0, buffer.Length);
                Assert.Equal(want, read);
                Assert.True(expected.AsSpan((int)Math.Min(offset, FileLength), want).SequenceEqual(buffer.AsSpan(0, read)), $"bytes at {offset}, {want} long");
                Assert.Equal(offset + read, stream.Position);
            }
        }

        Assert.Equal(expected, cold);
        Assert.Equal(expected, warm);
        Assert.Equal(FileLength, fetchedCold);
        Assert.Equal(FileLength, test.Storage.BytesFetched());
        if (source == "http")
        {
            Assert.True(requestsCold > requestsBefore);
            Assert.Equal(requestsCold, await test.RequestsAsync("train/big.bin"));
        }

        var stats = test.Dataset.Stats();
        Assert.Equal(FileLength, stats.BytesFetched);
        Assert.True(stats.BytesRead > 2L * FileLength, $"{stats.BytesRead} bytes read");
        Assert.Equal(FileLength, stats.CachedBytes);
        Assert.Equal(1 - ((double)FileLength / stats.BytesRead), stats.HitRatio, 6);
        Assert.Equal(listed.FileId, TestCache.BlockFiles(test.Cache.Root).Select(f => Path.GetFileName(Path.GetDirectoryName(f))).Distinct().Single());
    }

    [Fact]
    public async Task A_cold_sequential_read_is_served_by_one_streaming_request()
    {
        await using var test = await OpenAsync("http", files: [("big.bin", FileLength)]);
        await test.Dataset.ListAsync(Cancellation);
        var before = await test.RequestsAsync("big.bin");

        await using (var stream = await test.Dataset.OpenReadAsync("/big.bin", Cancellation))
        {
            Assert.Equal(test.Contents("big.bin"), await ReadAllAsync(stream));
        }

        Assert.Equal(1, await test.RequestsAsync("big.bin") - before);
        Assert.Equal((0, 1), (test.Storage.Ranges, test.Storage.Streams));
        Assert.All(test.Storage.FetchesPerByte(await test.StatAsync("big.bin")), count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task Thirty_two_concurrent_readers_of_a_cold_file_fetch_each_block_once()
    {
        await using var test = await OpenAsync("http", files: [("shared.bin", FileLength)]);
        await test.Dataset.ListAsync(Cancellation);
        var expected = test.Contents("shared.bin");
        var start = new TaskCompletionSource();

        var readers = Enumerable.Range(0, 32).Select(i => Task.Run(async () =>
        {
            await start.Task;
            await using var stream = await test.Dataset.OpenReadAsync("/shared.bin", Cancellation);
            if (i % 2 == 1)
            {
                // Half start in the middle, so that streams and range reads of the same blocks meet.
                stream.Seek((i % 10) * BlockSize, SeekOrigin.Begin);
                var tail = await ReadAllAsync(stream, 4096 + i);
                stream.Seek(0, SeekOrigin.Begin);
                var head = new byte[(i % 10) * BlockSize];
                await stream.ReadExactlyAsync(head, Cancellation);
                return head.Concat(tail).ToArray();
            }

            return await ReadAllAsync(stream, 4096 + i);
        }, Cancellation)).ToList();
        start.SetResult();
        var results = await Task.WhenAll(readers);

        Assert.All(results, r => Assert.Equal(expected, r));
        var perByte = test.Storage.FetchesPerByte(await test.StatAsync("shared.bin"));
        Assert.Equal([1], perByte.Distinct());
        Assert.Equal(FileLength, test.Dataset.Stats().BytesFetched);
    }

    [Fact]
    public async Task A_corrupted_block_file_is_detected_and_fetched_again()
    {
        await using var test = await OpenAsync("http", files: [("data.bin", FileLength)]);
        var expected = test.Contents("data.bin");
        await using (var stream = await test.Dataset.OpenReadAsync("/data.bin", Cancellation))
        {
            await ReadAllAsync(stream);
        }

        var victim = TestCache.BlockFiles(test.Cache.Root).Single(f => Path.GetFileName(f).StartsWith("3-", StringComparison.Ordinal));
        var bytes = await File.ReadAllBytesAsync(victim, Cancellation);
        bytes[1000] ^= 0x40;
        await File.WriteAllBytesAsync(victim, bytes, Cancellation);
        var before = await test.RequestsAsync("data.bin");

        await using (var stream = await test.Dataset.OpenReadAsync("/data.bin", Cancellation))
        {
            Assert.Equal(expected, await ReadAllAsync(stream));
        }

        Assert.Equal(1, await test.RequestsAsync("data.bin") - before);
        var perByte = test.Storage.FetchesPerByte(await test.StatAsync("data.bin"));
        Assert.Equal(Enumerable.Repeat(2, BlockSize), perByte.Skip(3 * BlockSize).Take(BlockSize));
        Assert.Equal(FileLength + BlockSize, perByte.Sum());
        Assert.Equal(expected.AsSpan(3 * BlockSize, BlockSize).ToArray(), await File.ReadAllBytesAsync(TestCache.BlockFiles(test.Cache.Root).Single(f => Path.GetFileName(f).StartsWith("3-", StringComparison.Ordinal)), Cancellation));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("local")]
    public async Task A_file_changed_under_a_reader_fails_its_read_clearly_and_the_next_open_reads_the_new_version(string source)
    {
        await using var test = await OpenAsync(source, LongTtl(), [("model.bin", FileLength)]);
        await using var reader = await test.Dataset.OpenReadAsync("/model.bin", Cancellation);
        reader.Seek(5 * BlockSize, SeekOrigin.Begin);
        await reader.ReadExactlyAsync(new byte[100], Cancellation);

        var changed = test.Write("model.bin", FileLength, seed: 99);
        reader.Seek(9 * BlockSize, SeekOrigin.Begin);
        var error = await Assert.ThrowsAsync<IOException>(async () => await reader.ReadExactlyAsync(new byte[100], Cancellation));

        Assert.Contains("'/model.bin' of dataset default/mnist changed in its under storage", error.Message, StringComparison.Ordinal);
        Assert.Contains("open it again", error.Message, StringComparison.Ordinal);
        await using var again = await test.Dataset.OpenReadAsync("/model.bin", Cancellation);
        Assert.Equal(changed, await ReadAllAsync(again));
        Assert.Equal((await test.StatAsync("model.bin")).Version, (await test.Dataset.ListAsync(Cancellation)).Find("/model.bin")!.Version);
    }

    [Fact]
    public async Task A_file_changed_between_opens_is_read_in_its_new_version_once_listed_again()
    {
        await using var test = await OpenAsync("http", new CachedDatasetOptions { ListingTtl = TimeSpan.FromMilliseconds(200) }, [("table.csv", FileLength)]);
        var first = (await test.Dataset.ListAsync(Cancellation)).Find("/table.csv")!;
        await using (var stream = await test.Dataset.OpenReadAsync("/table.csv", Cancellation))
        {
            Assert.Equal(test.Contents("table.csv"), await ReadAllAsync(stream));
        }

        var changed = test.Write("table.csv", FileLength - 1000, seed: 5);
        await TestSupport.Eventually.ReturnsAsync(
            () => test.Dataset.ListAsync(Cancellation), l => l.Find("/table.csv")?.Version != first.Version, TestSupport.Eventually.Patience,
            "the listing to show the new version", Cancellation, l => l.Find("/table.csv")?.Version ?? "(none)");

        await using var again = await test.Dataset.OpenReadAsync("/table.csv", Cancellation);
        Assert.Equal(changed, await ReadAllAsync(again));
    }

    [Fact]
    public async Task After_enough_blocks_in_order_the_next_blocks_are_fetched_ahead_in_one_request_and_no_further()
    {
        await using var test = await OpenAsync("http", new CachedDatasetOptions { ListingTtl = TimeSpan.FromHours(1), ReadAheadAfterBlocks = 2, ReadAheadBlocks = 3 }, [("seq.bin", FileLength)]);
        await test.Dataset.ListAsync(Cancellation);
        var file = await test.StatAsync("seq.bin");

        await using (var stream = await test.Dataset.OpenReadAsync("/seq.bin", Cancellation))
        {
            stream.Seek(2 * BlockSize, SeekOrigin.Begin);
            // Block 2 by range; block 3 is the second in order, so it and the three after it come over one stream.
            await stream.ReadExactlyAsync(new byte[2 * BlockSize], Cancellation);
            await TestSupport.Eventually.ReturnsAsync(
                () => test.Storage.FetchesPerByte(file).Skip(4 * BlockSize).Take(3 * BlockSize).Min(), min => min == 1, TestSupport.Eventually.Patience,
                "blocks 4 to 6 to be fetched ahead of the reader", Cancellation);
        }

        var perByte = test.Storage.FetchesPerByte(file);
        Assert.Equal(Enumerable.Repeat(0, 2 * BlockSize), perByte.Take(2 * BlockSize));
        Assert.Equal([1], perByte.Skip(2 * BlockSize).Take(5 * BlockSize).Distinct());
        Assert.Equal([0], perByte.Skip(7 * BlockSize).Distinct());
        Assert.Equal((1, 1), (test.Storage.Ranges, test.Storage.Streams));
    }

    [Fact]
    public async Task An_empty_file_reads_as_empty_and_a_seek_past_the_end_reads_nothing()
    {
        await using var test = await OpenAsync("local", files: [("empty.bin", 0), ("one.bin", 10)]);

        await using var empty = await test.Dataset.OpenReadAsync("/empty.bin", Cancellation);
        await using var one = await test.Dataset.OpenReadAsync("/one.bin", Cancellation);
        one.Seek(20, SeekOrigin.Begin);

        Assert.Empty(await ReadAllAsync(empty));
        Assert.Equal(0, await one.ReadAsync(new byte[5], Cancellation));
        Assert.Equal(0, test.Storage.BytesFetched());
    }
}
