using Fluid.Aspire.Cache.Blocks;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Aspire.Cache.Tests.Blocks;

public sealed class TieredBlockStoreOptionsTests : IDisposable
{
    private readonly TemporaryDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Low_above_high_is_refused_naming_the_field()
    {
        var error = await OpenFailingAsync(Level(MediumType.Ssd, high: "0.6", low: "0.8"));

        Assert.Contains("levels[0].low: is 0.8, above high (0.6)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_disk_tier_without_a_path_is_refused()
    {
        var error = await OpenFailingAsync(new TieredStoreLevel { MediumType = MediumType.Hdd, Quota = Quantity.Parse("1Gi") });

        Assert.Contains("levels[0].path: is required for mediumtype HDD", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_path_that_is_not_a_writable_directory_is_refused()
    {
        var file = _root.CreateFile("not-a-directory");
        var level = Level(MediumType.Ssd);
        level.Path = $"{Path.Combine(_root.Path, "ssd")}, {file}";

        var error = await OpenFailingAsync(level);

        Assert.Contains($"levels[0].path: '{file}' is a file, not a directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_mistake_is_reported_at_once()
    {
        var relative = Level(MediumType.Memory);
        relative.Path = "cache/mem";
        var error = await OpenFailingAsync(
            relative,
            new TieredStoreLevel { MediumType = MediumType.Ssd, Path = Path.Combine(_root.Path, "ssd") },
            Level(MediumType.Hdd, high: "1.5"),
            Level(MediumType.Hdd));

        Assert.Contains("levels[0].path: 'cache/mem' is not an absolute path", error.Message, StringComparison.Ordinal);
        Assert.Contains("levels[1].quota: is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("levels[2].high: '1.5' is not a ratio from 0 to 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("also a directory of levels[2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_medium_given_twice_or_no_level_at_all_is_refused()
    {
        var twice = Level(MediumType.Ssd);
        twice.Path = Path.Combine(_root.Path, "ssd2");

        var error = await OpenFailingAsync(Level(MediumType.Ssd), twice);
        var none = await OpenFailingAsync();

        Assert.Contains("levels[1].mediumtype: SSD is given twice", error.Message, StringComparison.Ordinal);
        Assert.Contains("levels: at least one level is required", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quota_smaller_than_a_block_is_refused()
    {
        var level = Level(MediumType.Ssd);
        level.Quota = Quantity.Parse("1Mi");

        var error = await OpenFailingAsync(level);

        Assert.Contains("levels[0].quota: 1Mi is less than one block (4194304 bytes)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unset_watermarks_default_to_high_095_and_low_07()
    {
        // 20 blocks of quota: above 19 blocks the tier is freed down to 14.
        var level = Level(MediumType.Ssd);
        level.Quota = Quantity.Parse("20Ki");
        var options = new TieredBlockStoreOptions { BlockSize = 1024, Levels = [level] };
        await using var store = await TieredBlockStore.OpenAsync(options, NullLogger.Instance, TestContext.Current.CancellationToken);
        for (var i = 0; i < 20; i++)
        {
            await store.GetOrFetchAsync(new BlockKey("d", "f", i), 1024, (buffer, _) => ValueTask.FromResult(buffer.Length), cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(i < 19 ? i + 1 : 14, store.Snapshot().Tiers[0].Blocks);
        }
    }

    private TieredStoreLevel Level(MediumType medium, string? high = null, string? low = null) => new()
    {
        MediumType = medium,
        Quota = Quantity.Parse("1Gi"),
        Path = Path.Combine(_root.Path, Contracts.Serialization.EnumNames.Of(medium)),
        High = high,
        Low = low,
    };

    private static async Task<ArgumentException> OpenFailingAsync(params TieredStoreLevel[] levels) =>
        await Assert.ThrowsAsync<ArgumentException>(() => TieredBlockStore.OpenAsync(new TieredBlockStoreOptions { Levels = levels }, NullLogger.Instance, TestContext.Current.CancellationToken));
}
