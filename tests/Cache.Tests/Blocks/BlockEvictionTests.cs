using Fluid.Aspire.Cache.Blocks;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Cache.Tests.Blocks;

public sealed class BlockEvictionTests
{
    private const int BlockSize = 1024;

    [Fact]
    public async Task Passing_the_high_watermark_evicts_least_recently_used_blocks_down_to_the_low_one()
    {
        // 10 blocks of quota: high 8 blocks, low 5.
        await using var cache = await TestCache.OpenAsync(BlockSize, new TestCache.Level(MediumType.Ssd, "10Ki", High: "0.8", Low: "0.5"));
        for (var i = 0; i < 8; i++)
        {
            await cache.GetAsync(TestCache.Key(i), BlockSize);
        }

        Assert.Equal(8, cache.Store.Snapshot().Tiers[0].Blocks);
        Assert.True((await cache.GetAsync(TestCache.Key(0), BlockSize)).Hit);
        Assert.True((await cache.GetAsync(TestCache.Key(1), BlockSize)).Hit);

        await cache.GetAsync(TestCache.Key(8), BlockSize);

        var cached = Enumerable.Range(0, 9).Where(i => cache.Store.TryGet(TestCache.Key(i), out _));
        Assert.Equal([0, 1, 6, 7, 8], cached);
        Assert.Equal(5 * BlockSize, TestCache.BlockBytesOnDisk(cache.Root));
        Assert.Equal(5 * BlockSize, cache.Store.Snapshot().Tiers[0].UsedBytes);
    }

    [Fact]
    public async Task The_quota_is_never_exceeded_on_disk()
    {
        await using var cache = await TestCache.OpenAsync(1000, new TestCache.Level(MediumType.Ssd, "5000", High: "0.9", Low: "0.6"));
        var random = new Random(17);
        for (var i = 0; i < 60; i++)
        {
            await cache.GetAsync(TestCache.Key(i % 25, fileId: $"f{i / 25}"), random.Next(1, 1001));

            var onDisk = TestCache.BlockBytesOnDisk(cache.Root);
            Assert.InRange(onDisk, 1, 5000);
            Assert.Equal(onDisk, cache.Store.Snapshot().Tiers[0].UsedBytes);
        }
    }

    [Fact]
    public async Task Pinned_blocks_are_never_evicted()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, new TestCache.Level(MediumType.Ssd, "4Ki", High: "0.75", Low: "0.5"));
        await cache.GetAsync(TestCache.Key(0, fileId: "loaded"), BlockSize, new BlockReadOptions { Pin = true });
        await cache.GetAsync(TestCache.Key(1, fileId: "loaded"), BlockSize, new BlockReadOptions { Pin = true });

        for (var i = 0; i < 10; i++)
        {
            await cache.GetAsync(TestCache.Key(i, fileId: "read"), BlockSize);
            Assert.InRange(TestCache.BlockBytesOnDisk(cache.Root), 0, 4 * BlockSize);
        }

        Assert.True(cache.Store.IsPinned(TestCache.Dataset, "loaded"));
        Assert.True(cache.Store.TryGet(TestCache.Key(0, fileId: "loaded"), out _));
        Assert.True(cache.Store.TryGet(TestCache.Key(1, fileId: "loaded"), out _));
        Assert.Equal(2, cache.Store.Snapshot().Tiers[0].PinnedBlocks);
    }

    [Fact]
    public async Task When_everything_is_pinned_a_new_block_fails_naming_the_tiers_and_what_to_do()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize,
            new TestCache.Level(MediumType.Memory, "2Ki"),
            new TestCache.Level(MediumType.Ssd, "2Ki"));
        for (var i = 0; i < 4; i++)
        {
            await cache.GetAsync(TestCache.Key(i), BlockSize, new BlockReadOptions { Pin = true });
        }

        var error = await Assert.ThrowsAsync<IOException>(async () => await cache.GetAsync(TestCache.Key(0, fileId: "other"), BlockSize));

        Assert.Contains("No tier has room", error.Message, StringComparison.Ordinal);
        Assert.Contains($"MEM ({cache.TierDirectory(MediumType.Memory)}): 2KiB of 2KiB in 2 blocks, 2 pinned", error.Message, StringComparison.Ordinal);
        Assert.Contains($"SSD ({cache.TierDirectory(MediumType.Ssd)}): 2KiB of 2KiB in 2 blocks, 2 pinned", error.Message, StringComparison.Ordinal);
        Assert.Contains("raise a quota in tieredstore.levels", error.Message, StringComparison.Ordinal);
        Assert.Equal(4 * BlockSize, TestCache.BlockBytesOnDisk(cache.Root));

        await cache.Store.UnpinAsync(TestCache.Dataset, "file", TestContext.Current.CancellationToken);
        Assert.False((await cache.GetAsync(TestCache.Key(0, fileId: "other"), BlockSize)).Hit);
    }

    [Fact]
    public async Task A_full_memory_tier_moves_its_least_recently_used_blocks_to_the_next_tier()
    {
        // MEM: 4 blocks, high 3, low 2. SSD: 8 blocks.
        await using var cache = await TestCache.OpenAsync(BlockSize,
            new TestCache.Level(MediumType.Memory, "4Ki", High: "0.75", Low: "0.5"),
            new TestCache.Level(MediumType.Ssd, "8Ki", High: "1", Low: "0.9"));
        for (var i = 0; i < 8; i++)
        {
            await cache.GetAsync(TestCache.Key(i), BlockSize);
            Assert.InRange(TestCache.BlockBytesOnDisk(cache.TierDirectory(MediumType.Memory)), 0, 4 * BlockSize);
            Assert.InRange(TestCache.BlockBytesOnDisk(cache.TierDirectory(MediumType.Ssd)), 0, 8 * BlockSize);
        }

        var tiers = Enumerable.Range(0, 8).Select(i => cache.Store.TryGet(TestCache.Key(i), out var block) ? block.Tier : (MediumType?)null).ToList();
        Assert.Equal([MediumType.Ssd, MediumType.Ssd, MediumType.Ssd, MediumType.Ssd, MediumType.Ssd, MediumType.Ssd, MediumType.Memory, MediumType.Memory], tiers);
        for (var i = 0; i < 8; i++)
        {
            var bytes = new byte[BlockSize];
            Assert.NotNull(await cache.Store.TryReadAsync(TestCache.Key(i), bytes, TestContext.Current.CancellationToken));
            Assert.Equal(TestCache.Contents(TestCache.Key(i), BlockSize), bytes);
        }

        Assert.Equal(8, cache.Fetches);
    }

    [Fact]
    public async Task When_the_memory_tier_is_pinned_full_new_blocks_go_to_the_next_tier()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize,
            new TestCache.Level(MediumType.Memory, "2Ki"),
            new TestCache.Level(MediumType.Hdd, "4Ki"));
        await cache.GetAsync(TestCache.Key(0, fileId: "loaded"), BlockSize, new BlockReadOptions { Pin = true });
        await cache.GetAsync(TestCache.Key(1, fileId: "loaded"), BlockSize, new BlockReadOptions { Pin = true });

        var block = await cache.GetAsync(TestCache.Key(0), BlockSize);

        Assert.Equal(MediumType.Hdd, block.Tier);
        Assert.StartsWith(cache.TierDirectory(MediumType.Hdd) + "/", block.Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blocks_spread_over_the_directories_of_a_tier()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, new TestCache.Level(MediumType.Ssd, "64Ki", Directories: 2));
        for (var i = 0; i < 6; i++)
        {
            await cache.GetAsync(TestCache.Key(i), BlockSize);
        }

        var directories = cache.Store.Snapshot().Tiers[0].Directories;
        Assert.Equal(2, directories.Count);
        Assert.All(directories, d => Assert.Equal(3, TestCache.BlockFiles(d).Count()));
    }

    [Fact]
    public async Task Evicting_a_dataset_removes_its_blocks_and_pins_only()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, new TestCache.Level(MediumType.Ssd, "64Ki"));
        await cache.GetAsync(TestCache.Key(0, dataset: "default/a"), BlockSize, new BlockReadOptions { Pin = true });
        await cache.GetAsync(TestCache.Key(1, dataset: "default/a"), BlockSize);
        await cache.GetAsync(TestCache.Key(0, dataset: "default/b"), BlockSize);

        var removed = await cache.Store.EvictDatasetAsync("default/a", TestContext.Current.CancellationToken);

        Assert.Equal(2, removed);
        Assert.False(cache.Store.TryGet(TestCache.Key(0, dataset: "default/a"), out _));
        Assert.False(cache.Store.IsPinned("default/a", "file"));
        Assert.Equal(0, cache.Store.CachedBytes("default/a"));
        Assert.True(cache.Store.TryGet(TestCache.Key(0, dataset: "default/b"), out var kept));
        Assert.Equal([kept.Path], TestCache.BlockFiles(cache.Root));
    }
}
