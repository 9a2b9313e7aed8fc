using Fluid.Aspire.Cache.Blocks;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Cache.Tests.Blocks;

public sealed class BlockRecoveryTests
{
    private const int BlockSize = 1024;
    private static readonly TestCache.Level Ssd = new(MediumType.Ssd, "64Ki");

    [Fact]
    public async Task A_restart_re_indexes_and_serves_the_same_blocks()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize,
            new TestCache.Level(MediumType.Memory, "2Ki"),
            new TestCache.Level(MediumType.Ssd, "64Ki"));
        for (var i = 0; i < 5; i++)
        {
            await cache.GetAsync(TestCache.Key(i), 1000 - i);
        }

        var paths = Enumerable.Range(0, 5).Select(i => cache.Store.TryGet(TestCache.Key(i), out var block) ? block.Path : "").ToList();
        Assert.Contains(paths, p => p.StartsWith(cache.TierDirectory(MediumType.Memory), StringComparison.Ordinal));
        Assert.Contains(paths, p => p.StartsWith(cache.TierDirectory(MediumType.Ssd), StringComparison.Ordinal));

        await cache.ReopenAsync();

        for (var i = 0; i < 5; i++)
        {
            var block = await cache.GetAsync(TestCache.Key(i), 1000 - i);
            Assert.True(block.Hit);
            Assert.Equal(paths[i], block.Path);
            var bytes = new byte[1000 - i];
            Assert.NotNull(await cache.Store.TryReadAsync(TestCache.Key(i), bytes, TestContext.Current.CancellationToken));
            Assert.Equal(TestCache.Contents(TestCache.Key(i), 1000 - i), bytes);
        }

        Assert.Equal(5, cache.Fetches);
        Assert.Equal(5, cache.Store.Snapshot().Tiers.Sum(t => t.Blocks));
        Assert.Equal(TestCache.BlockBytesOnDisk(cache.Root), cache.Store.Snapshot().UsedBytes);
    }

    [Fact]
    public async Task Pins_survive_a_restart()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, new TestCache.Level(MediumType.Ssd, "4Ki", High: "0.75", Low: "0.5"));
        await cache.GetAsync(TestCache.Key(0, fileId: "loaded"), BlockSize, new BlockReadOptions { Pin = true });
        await cache.GetAsync(TestCache.Key(1, fileId: "loaded"), BlockSize, new BlockReadOptions { Pin = true });

        await cache.ReopenAsync();
        for (var i = 0; i < 10; i++)
        {
            await cache.GetAsync(TestCache.Key(i, fileId: "read"), BlockSize);
        }

        Assert.True(cache.Store.IsPinned(TestCache.Dataset, "loaded"));
        Assert.True((await cache.GetAsync(TestCache.Key(0, fileId: "loaded"), BlockSize)).Hit);
        Assert.True((await cache.GetAsync(TestCache.Key(1, fileId: "loaded"), BlockSize)).Hit);
        Assert.Equal(12, cache.Fetches);
    }

    [Fact]
    public async Task A_block_corrupted_while_the_store_was_closed_is_detected_and_fetched_again()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, Ssd);
        var key = TestCache.Key(0);
        var path = (await cache.GetAsync(key, BlockSize)).Path;
        await cache.Store.DisposeAsync();
        FlipByte(path, 500);

        await cache.ReopenAsync();
        var block = await cache.GetAsync(key, BlockSize);

        Assert.False(block.Hit);
        Assert.Equal(2, cache.Fetches);
        Assert.Equal(TestCache.Contents(key, BlockSize), await File.ReadAllBytesAsync(block.Path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_block_corrupted_while_cached_is_detected_on_read_and_fetched_again()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, Ssd);
        var key = TestCache.Key(0);
        var path = (await cache.GetAsync(key, BlockSize)).Path;
        FlipByte(path, 0);

        Assert.Null(await cache.Store.TryReadAsync(key, new byte[BlockSize], TestContext.Current.CancellationToken));
        Assert.False(File.Exists(path));
        Assert.False(cache.Store.TryGet(key, out _));

        var block = await cache.GetAsync(key, BlockSize);
        var bytes = new byte[BlockSize];
        Assert.NotNull(await cache.Store.TryReadAsync(key, bytes, TestContext.Current.CancellationToken));

        Assert.False(block.Hit);
        Assert.Equal(2, cache.Fetches);
        Assert.Equal(TestCache.Contents(key, BlockSize), bytes);
    }

    [Fact]
    public async Task Files_left_by_a_crash_are_removed_on_open()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, Ssd);
        var kept = (await cache.GetAsync(TestCache.Key(0), BlockSize)).Path;
        var truncated = (await cache.GetAsync(TestCache.Key(1), BlockSize)).Path;
        await cache.Store.DisposeAsync();
        var unfinished = Path.Combine(Path.GetDirectoryName(kept)!, ".tmp-0123456789abcdef");
        await File.WriteAllBytesAsync(unfinished, new byte[300], TestContext.Current.CancellationToken);
        using (var stream = new FileStream(truncated, FileMode.Open))
        {
            stream.SetLength(BlockSize / 2);
        }

        await cache.ReopenAsync();

        Assert.False(File.Exists(unfinished));
        Assert.False(File.Exists(truncated));
        Assert.Equal([kept], TestCache.BlockFiles(cache.Root));
        Assert.Equal(1, cache.Store.Snapshot().Tiers[0].Blocks);
        Assert.True((await cache.GetAsync(TestCache.Key(0), BlockSize)).Hit);
        Assert.False((await cache.GetAsync(TestCache.Key(1), BlockSize)).Hit);
    }

    [Fact]
    public async Task Blocks_cut_with_another_block_size_are_removed_on_open()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, Ssd);
        await cache.GetAsync(TestCache.Key(0), BlockSize);

        await cache.ReopenAsync(blockSize: 2 * BlockSize);

        Assert.Empty(TestCache.BlockFiles(cache.Root));
        Assert.False((await cache.GetAsync(TestCache.Key(0), 2 * BlockSize)).Hit);
    }

    [Fact]
    public async Task A_tier_over_its_high_watermark_after_a_restart_with_a_smaller_quota_is_freed()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, new TestCache.Level(MediumType.Ssd, "8Ki"));
        for (var i = 0; i < 6; i++)
        {
            await cache.GetAsync(TestCache.Key(i), BlockSize);
        }

        await cache.Store.DisposeAsync();
        var levels = cache.Options.Levels;
        levels[0].Quota = Contracts.Quantity.Parse("4Ki");
        await cache.ReopenAsync();

        Assert.InRange(TestCache.BlockBytesOnDisk(cache.Root), 0, (long)(4 * BlockSize * TieredBlockStoreOptions.DefaultLow));
        Assert.True((await cache.GetAsync(TestCache.Key(5), BlockSize)).Hit);
        Assert.False((await cache.GetAsync(TestCache.Key(0), BlockSize)).Hit);
    }

    private static void FlipByte(string path, int offset)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0xff;
        File.WriteAllBytes(path, bytes);
    }
}
