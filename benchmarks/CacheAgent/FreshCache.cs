using Fluid.Aspire.Cache.Blocks;
using Fluid.Aspire.Cache.Reading;
using Fluid.Aspire.Cache.UnderStorage;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Runtimes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Aspire.Benchmarks.CacheAgent;

/// <summary>
/// A <see cref="CachedDataset"/> over one HTTP mount with an empty MEM tier of default-sized blocks in a directory of
/// its own under /dev/shm, deleted on dispose.
/// </summary>
internal sealed class FreshCache : IAsyncDisposable
{
    private readonly string _directory;

    private FreshCache(string directory, TieredBlockStore store, CachedDataset dataset)
    {
        _directory = directory;
        Store = store;
        Dataset = dataset;
    }

    public TieredBlockStore Store { get; }

    public CachedDataset Dataset { get; }

    /// <param name="mountPoint">The under storage, e.g. nginx's <c>http://127.0.0.1:port/data/</c>.</param>
    /// <param name="quotaBytes">The MEM tier's quota: room for every byte read, so nothing is evicted.</param>
    /// <param name="cancellationToken">Stops opening the store.</param>
    public static async Task<FreshCache> OpenAsync(Uri mountPoint, long quotaBytes, CancellationToken cancellationToken)
    {
        var directory = Path.Combine("/dev/shm", $"fluid-bench-cache-{Guid.NewGuid():N}");
        var options = new TieredBlockStoreOptions
        {
            Levels = [new TieredStoreLevel { MediumType = MediumType.Memory, Path = directory, Quota = Quantity.Parse(quotaBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)) }],
        };
        var store = await TieredBlockStore.OpenAsync(options, NullLogger.Instance, cancellationToken);
        var storage = UnderStorageFactory.Create(new Mount { MountPoint = mountPoint.AbsoluteUri, Options = [] }, new Dictionary<string, string>(),
            new UnderStorageOptions(), NullLoggerFactory.Instance);
        // A listing that stays for the whole run: only the reads reach nginx.
        var dataset = new CachedDataset("bench/cache", [new DatasetMount("/", storage)], store,
            new CachedDatasetOptions { ListingTtl = TimeSpan.FromHours(1) }, NullLogger<CachedDataset>.Instance);
        return new FreshCache(directory, store, dataset);
    }

    public async ValueTask DisposeAsync()
    {
        await Dataset.DisposeAsync();
        await Store.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
