using Fluid.Aspire.Cache.Blocks;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Cache.Tests.Blocks;

public sealed class BlockFetchTests
{
    private const int BlockSize = 1024;
    private static readonly TestCache.Level Ssd = new(MediumType.Ssd, "64Ki");

    [Fact]
    public async Task A_block_is_visible_only_once_its_fetch_completed()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, Ssd);
        var key = TestCache.Key(0);
        var halfWritten = new TaskCompletionSource();
        var finish = new TaskCompletionSource();
        var reading = cache.Store.GetOrFetchAsync(key, BlockSize, async (buffer, _) =>
        {
            TestCache.Contents(key, BlockSize).AsSpan(0, BlockSize / 2).CopyTo(buffer.Span);
            halfWritten.SetResult();
            await finish.Task;
            TestCache.Contents(key, BlockSize).AsSpan(BlockSize / 2).CopyTo(buffer.Span[(BlockSize / 2)..]);
            return BlockSize;
        }, cancellationToken: TestContext.Current.CancellationToken).AsTask();
        await halfWritten.Task;

        Assert.False(cache.Store.TryGet(key, out _));
        Assert.Null(await cache.Store.TryReadAsync(key, new byte[BlockSize], TestContext.Current.CancellationToken));
        Assert.Empty(TestCache.BlockFiles(cache.Root));

        finish.SetResult();
        var block = await reading;

        Assert.False(block.Hit);
        Assert.True(cache.Store.TryGet(key, out var cached));
        Assert.Equal(block.Path, cached.Path);
        Assert.Equal(TestCache.Contents(key, BlockSize), await File.ReadAllBytesAsync(block.Path, TestContext.Current.CancellationToken));
        Assert.Equal([block.Path], TestCache.BlockFiles(cache.Root));
    }

    [Fact]
    public async Task Thirty_two_readers_of_one_missing_block_share_one_fetch()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, Ssd);
        var key = TestCache.Key(3);
        var fetches = 0;
        var release = new TaskCompletionSource();
        var started = Enumerable.Range(0, 32).Select(_ => new TaskCompletionSource()).ToArray();
        var readers = started.Select(signal => Task.Run(async () =>
        {
            signal.SetResult();
            var block = await cache.Store.GetOrFetchAsync(key, BlockSize, async (buffer, _) =>
            {
                Interlocked.Increment(ref fetches);
                await release.Task;
                TestCache.Contents(key, BlockSize).CopyTo(buffer);
                return BlockSize;
            }, cancellationToken: TestContext.Current.CancellationToken);
            var bytes = new byte[BlockSize];
            Assert.NotNull(await cache.Store.TryReadAsync(key, bytes, TestContext.Current.CancellationToken));
            return (block, bytes);
        }, TestContext.Current.CancellationToken)).ToArray();
        await Task.WhenAll(started.Select(s => s.Task));

        release.SetResult();
        var results = await Task.WhenAll(readers);

        Assert.Equal(1, fetches);
        Assert.All(results, r => Assert.Equal(TestCache.Contents(key, BlockSize), r.bytes));
        Assert.Single(results.Select(r => r.block.Path).Distinct());
        var snapshot = cache.Store.Snapshot();
        Assert.Equal(32, snapshot.Hits + snapshot.Misses);
        Assert.Equal(BlockSize, snapshot.BytesFetched);
        Assert.Equal(1, snapshot.Tiers[0].Blocks);
    }

    [Fact]
    public async Task A_failed_fetch_fails_every_waiter_caches_nothing_and_the_next_reader_fetches_again()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, Ssd);
        var key = TestCache.Key(0);
        var release = new TaskCompletionSource();
        var failing = Enumerable.Range(0, 3).Select(_ => cache.Store.GetOrFetchAsync(key, BlockSize, async (buffer, _) =>
        {
            buffer.Span[..10].Fill(7);
            await release.Task;
            throw new InvalidOperationException("the under storage answered 500");
        }, cancellationToken: TestContext.Current.CancellationToken).AsTask()).ToArray();

        release.SetResult();

        foreach (var reader in failing)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => reader);
            Assert.Equal("the under storage answered 500", error.Message);
        }

        Assert.False(cache.Store.TryGet(key, out _));
        Assert.Empty(TestCache.BlockFiles(cache.Root));
        Assert.Empty(Directory.EnumerateFiles(cache.Root, ".tmp-*", SearchOption.AllDirectories));

        var block = await cache.GetAsync(key, BlockSize);

        Assert.Equal(1, cache.Fetches);
        Assert.False(block.Hit);
        Assert.Equal(TestCache.Contents(key, BlockSize), await File.ReadAllBytesAsync(block.Path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_fetch_that_returns_fewer_bytes_than_the_block_caches_nothing()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, Ssd);
        var key = TestCache.Key(0);

        var error = await Assert.ThrowsAsync<IOException>(async () => await cache.Store.GetOrFetchAsync(
            key, BlockSize, (buffer, _) => ValueTask.FromResult(BlockSize - 1), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("returned 1023 bytes of 1024", error.Message, StringComparison.Ordinal);
        Assert.False(cache.Store.TryGet(key, out _));
        Assert.Empty(TestCache.BlockFiles(cache.Root));
        Assert.Equal(0, cache.Store.Snapshot().Tiers[0].UsedBytes);
    }

    [Fact]
    public async Task A_cached_block_is_a_hit_and_counted()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, Ssd);
        var key = TestCache.Key(1);

        var first = await cache.GetAsync(key, 100);
        var second = await cache.GetAsync(key, 100);

        Assert.False(first.Hit);
        Assert.True(second.Hit);
        Assert.Equal(1, cache.Fetches);
        Assert.Equal(MediumType.Ssd, second.Tier);
        Assert.Equal(100, new FileInfo(second.Path).Length);
        var snapshot = cache.Store.Snapshot();
        Assert.Equal((1, 1, 100, 100), (snapshot.Hits, snapshot.Misses, snapshot.BytesFromCache, snapshot.BytesFetched));
        Assert.Equal(100, cache.Store.CachedBytes(TestCache.Dataset));
    }

    [Fact]
    public async Task Keys_the_store_cannot_name_a_directory_after_are_refused()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, Ssd);

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await cache.GetAsync(TestCache.Key(0, fileId: "../etc"), 10));

        Assert.Contains("BlockKey.FileIdOf", error.Message, StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{32}$", BlockKey.FileIdOf("train/part-0.csv", "\"etag-1\""));
        Assert.NotEqual(BlockKey.FileIdOf("a", "bc"), BlockKey.FileIdOf("ab", "c"));
        Assert.NotEqual(BlockKey.FileIdOf("a", "v1"), BlockKey.FileIdOf("a", "v2"));
    }
}
