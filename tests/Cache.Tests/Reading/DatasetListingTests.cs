using Fluid.Aspire.Cache.Reading;
using Fluid.Aspire.Cache.Tests.Blocks;
using Fluid.Aspire.Cache.UnderStorage;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using static Fluid.Aspire.Cache.Tests.Reading.TestDataset;

namespace Fluid.Aspire.Cache.Tests.Reading;

/// <summary>A dataset's listing: its mounts at their paths, the totals for status, and the TTL.</summary>
public sealed class DatasetListingTests
{
    [Fact]
    public async Task Lists_every_mount_at_its_path_in_the_tree_with_the_totals_status_shows()
    {
        await using var nginx = await TestSupport.StorageServers.NginxServer.StartAsync(Cancellation);
        using var local = new TemporaryDirectory();
        nginx.WriteFile("jan.csv", 100);
        nginx.WriteFile("q1/feb.csv", 250);
        Directory.CreateDirectory(Path.Combine(local.Path, "img"));
        await File.WriteAllBytesAsync(Path.Combine(local.Path, "img", "a.png"), new byte[7], Cancellation);
        var spec = new DatasetSpec
        {
            Mounts = [new Mount { MountPoint = new Uri(nginx.BaseUrl, "data/").AbsoluteUri, Name = "sales" }, new Mount { MountPoint = "local://" + local.Path, Path = "/pictures/" }],
        };
        await using var cache = await TestCache.OpenAsync(BlockSize, new TestCache.Level(MediumType.Ssd, "1Mi"));
        await using var dataset = new CachedDataset("default/shop", DatasetMount.Of(spec, m => UnderStorage.TestStorage.Create(m.MountPoint)), cache.Store,
            LongTtl(), NullLogger<CachedDataset>.Instance);

        var listing = await dataset.ListAsync(Cancellation);
        await using var picture = await dataset.OpenReadAsync("pictures/img/a.png", Cancellation);

        Assert.Equal(["/pictures/img/a.png", "/sales/jan.csv", "/sales/q1/feb.csv"], listing.Files.Select(f => f.Path));
        Assert.Equal((357L, 3), (listing.TotalBytes, listing.FileCount));
        Assert.Equal(new byte[7], await ReadAllAsync(picture));
    }

    [Fact]
    public async Task Within_the_ttl_the_listing_stays_yet_a_new_file_can_be_opened_and_joins_it()
    {
        await using var test = await OpenAsync("local", LongTtl(), [("old.bin", 10)]);
        var first = await test.Dataset.ListAsync(Cancellation);
        var added = test.Write("new.bin", 20, seed: 3);

        var second = await test.Dataset.ListAsync(Cancellation);
        await using var stream = await test.Dataset.OpenReadAsync("/new.bin", Cancellation);
        var third = await test.Dataset.ListAsync(Cancellation);

        Assert.Same(first, second);
        Assert.Equal(["/old.bin"], second.Files.Select(f => f.Path));
        Assert.Equal(added, await ReadAllAsync(stream));
        Assert.Equal(["/new.bin", "/old.bin"], third.Files.Select(f => f.Path));
        Assert.Equal(30L, third.TotalBytes);
    }

    [Fact]
    public async Task A_new_file_appears_in_the_listing_after_the_ttl()
    {
        await using var test = await OpenAsync("http", new CachedDatasetOptions { ListingTtl = TimeSpan.FromMilliseconds(300) }, [("a.bin", 10)]);
        var first = await test.Dataset.ListAsync(Cancellation);
        test.Write("later/b.bin", 5, seed: 1);

        var listing = await Eventually.ReturnsAsync(
            () => test.Dataset.ListAsync(Cancellation), l => l.Find("/later/b.bin") is not null, Eventually.Patience,
            "the new file to be listed", Cancellation, l => string.Join(", ", l.Files.Select(f => f.Path)));

        Assert.Equal(["/a.bin"], first.Files.Select(f => f.Path));
        Assert.Equal((15L, 2), (listing.TotalBytes, listing.FileCount));
        Assert.True(listing.ListedAt > first.ListedAt, $"listed at {listing.ListedAt:O}, not after the first listing at {first.ListedAt:O}");
    }

    [Fact]
    public async Task Opening_a_directory_or_a_missing_file_says_what_is_wrong()
    {
        await using var test = await OpenAsync("local", files: [("dir/x.bin", 10)]);

        var directory = await Assert.ThrowsAsync<FileNotFoundException>(() => test.Dataset.OpenReadAsync("/dir", Cancellation));
        var missing = await Assert.ThrowsAsync<FileNotFoundException>(() => test.Dataset.OpenReadAsync("/dir/y.bin", Cancellation));
        var climbing = await Assert.ThrowsAsync<ArgumentException>(() => test.Dataset.OpenReadAsync("/dir/../../etc/passwd", Cancellation));

        Assert.Equal("'/dir' is a directory of dataset default/mnist, not a file; open one of its files, e.g. /dir/x.bin.", directory.Message);
        Assert.StartsWith("'/dir/y.bin' is not a file of dataset default/mnist: local://", missing.Message, StringComparison.Ordinal);
        Assert.Contains("'.' or '..'", climbing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mounts_at_overlapping_paths_and_bad_options_are_refused_naming_them()
    {
        await using var cache = await TestCache.OpenAsync(BlockSize, new TestCache.Level(MediumType.Ssd, "1Mi"));
        await using IUnderStorage a = new LocalUnderStorage("/tmp", "local:///tmp");
        await using IUnderStorage b = new LocalUnderStorage("/var", "local:///var");

        var overlap = Assert.Throws<ArgumentException>(() => new CachedDataset("default/x", [new DatasetMount("/a", a), new DatasetMount("/a/b", b)], cache.Store, new(), NullLogger<CachedDataset>.Instance));
        var options = Assert.Throws<ArgumentException>(() => new CachedDataset("default/x", [new DatasetMount("/", a)], cache.Store,
            new CachedDatasetOptions { ListingTtl = TimeSpan.Zero, ReadAheadBlocks = -1 }, NullLogger<CachedDataset>.Instance));

        Assert.Contains("mounts[1] (local:///var) at '/a/b' overlaps local:///tmp at '/a'", overlap.Message, StringComparison.Ordinal);
        Assert.Contains("ListingTtl: is 00:00:00; it must be positive", options.Message, StringComparison.Ordinal);
        Assert.Contains("ReadAheadBlocks: is -1", options.Message, StringComparison.Ordinal);
    }
}
