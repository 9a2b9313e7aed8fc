using Fluid.Aspire.Cache.Blocks;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cache.Reading;

/// <summary>
/// One dataset read through a node's block cache: its files listed from its mounts (cached for a TTL), opened as
/// seekable streams whose blocks come from the cache or else are fetched once from the under storage and cached, and
/// preloaded (pinned if asked) for a DataLoad. See docs/cache.md, "Reading through the cache".
/// </summary>
public sealed class CachedDataset : IAsyncDisposable
{
    private readonly IReadOnlyList<DatasetMount> _mounts;
    private readonly CachedDatasetOptions _options;
    private readonly ILogger _logger;
    private readonly DatasetListingCache _listing;
    private readonly BlockFetcher _fetcher;
    private readonly DatasetReadCounters _counters = new();

    /// <param name="datasetId">The dataset, e.g. <c>default/mnist</c>: its blocks are kept under this id.</param>
    /// <param name="mounts">Its mounts (see <see cref="DatasetMount.Of"/>); this dataset disposes their under storages.</param>
    /// <param name="store">The node's block cache, shared with other datasets.</param>
    /// <param name="options">Listing TTL, read-ahead and preload settings.</param>
    /// <param name="logger">For listings that fail.</param>
    /// <exception cref="ArgumentException">Bad options, no mounts, or mounts at clashing paths; the message says which.</exception>
    public CachedDataset(string datasetId, IReadOnlyList<DatasetMount> mounts, TieredBlockStore store, CachedDatasetOptions options, ILogger<CachedDataset> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(datasetId);
        ArgumentNullException.ThrowIfNull(mounts);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        CheckMounts(datasetId, mounts);
        Id = datasetId;
        _mounts = mounts;
        _options = options;
        _logger = logger;
        _fetcher = new BlockFetcher(store, _counters);
        _listing = new DatasetListingCache(datasetId, mounts, options, logger);
    }

    /// <summary>The dataset's id.</summary>
    public string Id { get; }

    /// <summary>
    /// The dataset's files, sizes and versions with their totals, as listed at most <see cref="CachedDatasetOptions.ListingTtl"/>
    /// plus one listing's duration ago; the first call waits for the first listing.
    /// </summary>
    /// <exception cref="IOException">The first listing failed; the message names the under storage's error.</exception>
    public Task<DatasetListing> ListAsync(CancellationToken cancellationToken) => _listing.GetAsync(cancellationToken);

    /// <summary>
    /// Opens a file for reading through the cache (a seekable, read-only stream). The file is the version listed, or
    /// stat'ed now when it is not listed yet or a reader found it changed; a read that finds it changed since fails
    /// with an <see cref="IOException"/> saying so, and the next open reads the new version.
    /// </summary>
    /// <param name="path">Its path in the dataset's tree, e.g. <c>/train/part-0.csv</c>.</param>
    /// <param name="cancellationToken">Stops the open.</param>
    /// <exception cref="FileNotFoundException">The dataset has no such file, or the path is a directory.</exception>
    public async Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        var normalized = DatasetPaths.Normalize(path);
        var file = await _listing.FindAsync(normalized, cancellationToken);
        return new CachedFileStream(Id, _fetcher, new FileBlocks(Id, file, _fetcher.Store.BlockSize), _options, () => _listing.Invalidate(normalized), _logger);
    }

    /// <summary>
    /// Caches every block of the files at or below <paramref name="paths"/> (the whole dataset when empty), each file
    /// over one streaming request, <see cref="CachedDatasetOptions.PreloadConcurrency"/> files at once. Blocks already
    /// cached are skipped, so a preload run again after a crash goes on where it stopped.
    /// </summary>
    /// <param name="paths">Files or directories of the dataset's tree.</param>
    /// <param name="pin">Pins the files, so that their blocks are never evicted (a DataLoad's data).</param>
    /// <param name="progress">Told after each block.</param>
    /// <param name="cancellationToken">Stops the preload; what is cached stays.</param>
    /// <returns>The final progress: every file and byte done.</returns>
    /// <exception cref="FileNotFoundException">A path matches no file; the message names it.</exception>
    public async Task<PreloadProgress> PreloadAsync(IReadOnlyCollection<string> paths, bool pin, IProgress<PreloadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var listing = await _listing.GetAsync(cancellationToken);
        var files = paths.Count == 0 ? listing.Files : FilesUnder(listing, paths);
        var tally = new PreloadTally(files.Count, files.Sum(f => f.Length), progress);
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = _options.PreloadConcurrency, CancellationToken = cancellationToken }, async (file, token) =>
        {
            var blocks = new FileBlocks(Id, file, _fetcher.Store.BlockSize);
            if (pin)
            {
                await _fetcher.Store.PinAsync(Id, file.FileId, token);
            }

            var counted = 0L;
            await new SequentialFetch(_fetcher, blocks, 0, null, FetchPurpose.Preload, length =>
            {
                Interlocked.Add(ref counted, length);
                tally.Bytes(length);
            }).RunAsync(token);

            // Blocks other fetchers were bringing in when the stream passed them, or gave up on.
            for (var index = 0L; index < blocks.Count; index++)
            {
                await _fetcher.EnsureCachedAsync(blocks, index, FetchPurpose.Preload, token);
            }

            tally.FileDone(file.Length - Interlocked.Read(ref counted));
        });
        return tally.Current;
    }

    /// <summary>The dataset's reads, fetches and cached bytes on this node, for its <c>cacheStates</c>.</summary>
    public DatasetCacheStats Stats() => _counters.Snapshot(_fetcher.Store.CachedBytes(Id));

    /// <summary>Stops the listing loop and closes the mounts' under storages; the cached blocks stay.</summary>
    public async ValueTask DisposeAsync()
    {
        await _listing.DisposeAsync();
        foreach (var mount in _mounts)
        {
            await mount.Storage.DisposeAsync();
        }
    }

    private List<DatasetFile> FilesUnder(DatasetListing listing, IEnumerable<string> paths)
    {
        var chosen = new Dictionary<string, DatasetFile>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var normalized = DatasetPaths.Normalize(path);
            var matched = false;
            foreach (var file in listing.Under(normalized))
            {
                matched = true;
                chosen.TryAdd(file.Path, file);
            }

            if (!matched)
            {
                throw new FileNotFoundException(
                    $"'{path}' is neither a file nor a directory of dataset {Id} (as listed at {listing.ListedAt:O}, {listing.FileCount} files); give paths from the dataset's root, e.g. {(listing.FileCount > 0 ? listing.Files[0].Path : "/")}.", path);
            }

        }

        return [.. chosen.Values.OrderBy(f => f.Path, StringComparer.Ordinal)];
    }

    private static void CheckMounts(string datasetId, IReadOnlyList<DatasetMount> mounts)
    {
        if (mounts.Count == 0)
        {
            throw new ArgumentException($"Dataset {datasetId} has no mounts; give it at least one, e.g. {{mountPoint: https://host/data/}}.", nameof(mounts));
        }

        var problems = new List<string>();
        for (var i = 0; i < mounts.Count; i++)
        {
            var path = mounts[i].Path;
            if (path != DatasetPaths.Normalize(path))
            {
                problems.Add($"mounts[{i}] ({mounts[i].Storage.Describe}) is at '{path}', which is not an absolute path without a trailing slash, e.g. /sales");
            }
            else if (mounts.Take(i).FirstOrDefault(m => DatasetPaths.IsUnder(m.Path, path) || DatasetPaths.IsUnder(path, m.Path)) is { } clash)
            {
                problems.Add($"mounts[{i}] ({mounts[i].Storage.Describe}) at '{path}' overlaps {clash.Storage.Describe} at '{clash.Path}'; give each mount its own path, e.g. /sales and /stock");
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"Dataset {datasetId}: {string.Join("; ", problems)}.", nameof(mounts));
        }
    }

    /// <summary>A preload's progress, counted from the files' fetches running side by side; reported in order.</summary>
    private sealed class PreloadTally(int filesTotal, long bytesTotal, IProgress<PreloadProgress>? progress)
    {
        private readonly Lock _gate = new();
        private int _files;
        private long _bytes;

        public PreloadProgress Current
        {
            get
            {
                lock (_gate)
                {
                    return new(_files, filesTotal, _bytes, bytesTotal);
                }
            }
        }

        public void Bytes(long count) => Add(0, count);

        public void FileDone(long uncountedBytes) => Add(1, uncountedBytes);

        private void Add(int files, long bytes)
        {
            lock (_gate)
            {
                _files += files;
                _bytes += bytes;
                progress?.Report(new(_files, filesTotal, _bytes, bytesTotal));
            }
        }
    }
}
