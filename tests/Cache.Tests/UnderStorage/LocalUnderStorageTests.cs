using Fluid.Aspire.Cache.UnderStorage;
using Fluid.Aspire.TestSupport;
using static Fluid.Aspire.Cache.Tests.UnderStorage.TestStorage;

namespace Fluid.Aspire.Cache.Tests.UnderStorage;

public sealed class LocalUnderStorageTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Lists_every_file_of_nested_directories_with_its_size()
    {
        Write("a.csv", 10);
        Write("train/b.bin", 2000);
        Write("train/deep/c.bin", 0);
        await using var storage = Create($"local://{_directory.Path}");

        var files = await ListAllAsync(storage);

        Assert.Equal(["a.csv", "train/b.bin", "train/deep/c.bin"], files.Select(f => f.Path));
        Assert.Equal([10L, 2000L, 0L], files.Select(f => f.Length));
        Assert.All(files, f => Assert.NotNull(f.Version));
    }

    [Fact]
    public async Task Reads_a_range_and_streams_from_an_offset()
    {
        var bytes = Write("data/x.bin", 5000);
        await using var storage = Create($"local://{_directory.Path}");
        var file = await storage.StatAsync("data/x.bin", Cancellation);
        var range = new byte[1000];

        await storage.ReadAsync(file, 1234, range, Cancellation);
        await using var stream = await storage.OpenReadAsync(file, 4000, Cancellation);

        Assert.Equal(bytes[1234..2234], range);
        Assert.Equal(bytes[4000..], await ReadToEndAsync(stream));
    }

    [Fact]
    public async Task A_file_rewritten_after_its_stat_is_refused_as_changed()
    {
        Write("x.bin", 100);
        await using var storage = Create($"local://{_directory.Path}");
        var file = await storage.StatAsync("x.bin", Cancellation);
        Write("x.bin", 100, seed: 2);
        File.SetLastWriteTimeUtc(Path.Combine(_directory.Path, "x.bin"), DateTime.UtcNow.AddHours(1));

        await Assert.ThrowsAsync<UfsFileChangedException>(() => storage.ReadAsync(file, 0, new byte[10], Cancellation));
    }

    [Fact]
    public async Task A_missing_file_and_a_path_outside_the_root_are_refused()
    {
        await using var storage = Create($"local://{_directory.Path}");

        var missing = await Assert.ThrowsAsync<UfsFileNotFoundException>(() => storage.StatAsync("nope.csv", Cancellation));
        Assert.Contains($"local://{_directory.Path}/nope.csv", missing.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => storage.StatAsync("../etc/passwd", Cancellation));
    }

    [Fact]
    public async Task A_claim_is_read_from_where_claims_are_mounted()
    {
        var claim = Path.Combine(_directory.Path, "housing-data", "raw");
        Directory.CreateDirectory(claim);
        await File.WriteAllTextAsync(Path.Combine(claim, "h.csv"), "a,b\n", Cancellation);
        var options = QuickRetries();
        options.PersistentVolumeClaimRoot = _directory.Path;
        await using var storage = Create("pvc://housing-data/raw", storageOptions: options);

        var files = await ListAllAsync(storage);

        Assert.Equal(["h.csv"], files.Select(f => f.Path));
    }

    private byte[] Write(string path, int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        var full = Path.Combine(_directory.Path, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return bytes;
    }
}
