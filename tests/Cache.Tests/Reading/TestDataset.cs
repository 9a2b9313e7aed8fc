using Fluid.Aspire.Cache.Reading;
using Fluid.Aspire.Cache.Tests.Blocks;
using Fluid.Aspire.Cache.UnderStorage;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.TestSupport;
using Fluid.Aspire.TestSupport.StorageServers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Aspire.Cache.Tests.Reading;

/// <summary>
/// A dataset of one mount, over a real nginx (<c>http</c>) or a local directory (<c>local</c>), read through a block
/// store of 64 KiB blocks in the test's own directory; its under storage counts what it fetches.
/// </summary>
internal sealed class TestDataset : IAsyncDisposable
{
    public const int BlockSize = 64 * 1024;

    private readonly NginxServer? _nginx;
    private readonly TemporaryDirectory? _local;
    private readonly TemporaryDirectory _scratch = new();

    private TestDataset(NginxServer? nginx, TemporaryDirectory? local, TestCache cache, CountingUnderStorage storage, CachedDataset dataset)
    {
        _nginx = nginx;
        _local = local;
        Cache = cache;
        Storage = storage;
        Dataset = dataset;
    }

    public static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Listings that stay for the whole test, so that only the reads reach the under storage.</summary>
    public static CachedDatasetOptions LongTtl(int readAheadBlocks = 8) => new() { ListingTtl = TimeSpan.FromHours(1), ReadAheadBlocks = readAheadBlocks };

    public TestCache Cache { get; }

    public CountingUnderStorage Storage { get; }

    public CachedDataset Dataset { get; }

    public NginxServer Nginx => _nginx ?? throw new InvalidOperationException("This dataset is not served by nginx.");

    /// <summary>The directory whose files the dataset holds.</summary>
    public string DataDirectory => _nginx?.DataDirectory ?? _local!.Path;

    /// <param name="source"><c>http</c> (nginx's /data/) or <c>local</c>.</param>
    /// <param name="options">The dataset's options; <see cref="LongTtl"/> when null.</param>
    /// <param name="files">Files to write before the first listing: path and length, contents from the path's seed.</param>
    public static async Task<TestDataset> OpenAsync(string source, CachedDatasetOptions? options = null, params (string Path, int Length)[] files)
    {
        NginxServer? nginx = null;
        TemporaryDirectory? local = null;
        string mountPoint;
        if (source == "http")
        {
            nginx = await NginxServer.StartAsync(Cancellation);
            mountPoint = new Uri(nginx.BaseUrl, "data/").AbsoluteUri;
        }
        else
        {
            local = new TemporaryDirectory();
            mountPoint = "local://" + local.Path;
        }

        foreach (var (path, length) in files)
        {
            WriteFile(nginx?.DataDirectory ?? local!.Path, path, length, Seed(path), out _);
        }

        var cache = await TestCache.OpenAsync(BlockSize, new TestCache.Level(MediumType.Ssd, "64Mi"));
        var storage = new CountingUnderStorage(UnderStorage.TestStorage.Create(mountPoint));
        var dataset = new CachedDataset(TestCache.Dataset, [new DatasetMount("/", storage)], cache.Store, options ?? LongTtl(), NullLogger<CachedDataset>.Instance);
        return new TestDataset(nginx, local, cache, storage, dataset);
    }

    /// <summary>
    /// Writes a file of random bytes from <paramref name="seed"/> whole at once (renamed into place, so that no listing
    /// sees half of it) and returns them; a file written over gets a modification time a minute later, since nginx's
    /// ETag and the local version are made of it (in seconds) and the length.
    /// </summary>
    public byte[] Write(string path, int length, int seed)
    {
        var full = Full(path);
        var before = File.Exists(full) ? File.GetLastWriteTimeUtc(full) : (DateTime?)null;
        var temporary = WriteFile(_scratch.Path, "next", length, seed, out var bytes);
        if (before is { } earlier)
        {
            File.SetLastWriteTimeUtc(temporary, earlier.AddMinutes(1));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.Move(temporary, full, overwrite: true);
        return bytes;
    }

    /// <summary>Requests nginx answered for paths under /data/{prefix}, listing HEADs included.</summary>
    public Task<int> RequestsAsync(string prefix = "") => Nginx.CountRequestsAsync("/data/" + prefix, Cancellation);

    public byte[] Contents(string path) => File.ReadAllBytes(Full(path));

    public async Task<UfsFile> StatAsync(string path) => await Storage.StatAsync(path, Cancellation);

    public static int Seed(string path) => path.Length;

    public static async Task<byte[]> ReadAllAsync(Stream stream, int bufferSize = 10_000)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, bufferSize, Cancellation);
        return copy.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await Dataset.DisposeAsync();
        await Cache.DisposeAsync();
        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        _local?.Dispose();
        _scratch.Dispose();
    }

    private string Full(string path) => Path.Combine(DataDirectory, path);

    private static string WriteFile(string directory, string path, int length, int seed, out byte[] bytes)
    {
        bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        var full = Path.Combine(directory, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return full;
    }
}
