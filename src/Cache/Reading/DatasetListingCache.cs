using Fluid.Aspire.Cache.UnderStorage;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cache.Reading;

/// <summary>
/// A dataset's listing, kept fresh by a background loop that lists every mount again once the last listing began
/// <see cref="CachedDatasetOptions.ListingTtl"/> ago, so that the listing served is never older than the TTL plus one
/// listing's duration (while the under storage answers). Files stat'ed between listings (new ones, changed ones) are
/// laid over it until a listing that began later replaces them.
/// </summary>
internal sealed class DatasetListingCache : IAsyncDisposable
{
    private readonly string _datasetId;
    private readonly IReadOnlyList<DatasetMount> _mounts;
    private readonly CachedDatasetOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();

    // Stats made since some listing began, by path (null: the file is gone); guarded by _gate.
    private readonly Dictionary<string, (DatasetFile? File, DateTimeOffset At)> _stats = new(StringComparer.Ordinal);

    // Paths whose listed version turned out stale (a read found the file changed): stat'ed at their next open.
    private readonly HashSet<string> _stale = new(StringComparer.Ordinal);
    private readonly Task _loop;
    private DatasetListing? _current;
    private TaskCompletionSource<DatasetListing> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DatasetListingCache(string datasetId, IReadOnlyList<DatasetMount> mounts, CachedDatasetOptions options, ILogger logger)
    {
        _datasetId = datasetId;
        _mounts = mounts;
        _options = options;
        _logger = logger;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The current listing; the first call waits for the first listing (and fails if it does).</summary>
    public Task<DatasetListing> GetAsync(CancellationToken cancellationToken)
    {
        Task<DatasetListing> next;
        lock (_gate)
        {
            if (_current is { } current)
            {
                return Task.FromResult(current);
            }

            next = _next.Task;
        }

        return next.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The file at a normalized path: from the listing, or, for a file not listed yet or found changed since,
    /// stat'ed in its mount (and laid over the listing).
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file, or the path is a directory.</exception>
    public async Task<DatasetFile> FindAsync(string path, CancellationToken cancellationToken)
    {
        var listing = await GetAsync(cancellationToken);
        bool stale;
        lock (_gate)
        {
            stale = _stale.Contains(path);
        }

        if (!stale && listing.Find(path) is { } listed)
        {
            return listed;
        }

        if (listing.IsDirectory(path))
        {
            throw new FileNotFoundException($"'{path}' is a directory of dataset {_datasetId}, not a file; open one of its files, e.g. {listing.Under(path).FirstOrDefault()?.Path}.", path);
        }

        var mount = _mounts.FirstOrDefault(m => m.RelativePathOf(path) is { Length: > 0 })
                    ?? throw NotFound(path, $"it is under none of the dataset's mounts ({string.Join(", ", _mounts.Select(m => m.Path))})");
        DatasetFile? file;
        try
        {
            file = mount.FileOf(await mount.Storage.StatAsync(mount.RelativePathOf(path)!, cancellationToken));
        }
        catch (UfsFileNotFoundException)
        {
            file = null;
        }

        lock (_gate)
        {
            _stale.Remove(path);
            _stats[path] = (file, DateTimeOffset.UtcNow);
            _current = _current?.With(path, file);
        }

        return file ?? throw NotFound(path, $"{mount.Storage.Describe} has no such file");
    }

    /// <summary>Marks a file whose version changed under a reader: its next open stats it again.</summary>
    public void Invalidate(string path)
    {
        lock (_gate)
        {
            _stale.Add(path);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var started = DateTimeOffset.UtcNow;
            TaskCompletionSource<DatasetListing> attempt;
            lock (_gate)
            {
                attempt = _next;
            }

            var wait = _options.ListingTtl;
            try
            {
                var files = await ListMountsAsync(_stop.Token);
                DatasetListing listing;
                lock (_gate)
                {
                    listing = WithLaterStats(new DatasetListing(files, started), started);
                    _current = listing;
                    _next = new TaskCompletionSource<DatasetListing>(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                attempt.SetResult(listing);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                attempt.TrySetCanceled(_stop.Token);
                return;
            }
            catch (Exception e)
            {
                DateTimeOffset? last;
                lock (_gate)
                {
                    last = _current?.ListedAt;
                    _next = new TaskCompletionSource<DatasetListing>(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                attempt.SetException(new IOException($"Listing dataset {_datasetId} failed: {e.Message}", e));
                _ = attempt.Task.Exception; // A failure nobody waited for is logged here, not left unobserved.
                wait = _options.ListingRetryDelay;
                _logger.LogWarning("Listing dataset {Dataset} failed; the listing of {ListedAt} stays in use; trying again in {Delay}: {Error}",
                    _datasetId, last?.ToString("O") ?? "(none yet)", wait, e.Message);
            }

            var remaining = started + wait - DateTimeOffset.UtcNow;
            if (remaining > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(remaining, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Every mount's files, listed side by side.</summary>
    private async Task<List<DatasetFile>> ListMountsAsync(CancellationToken cancellationToken)
    {
        var perMount = await Task.WhenAll(_mounts.Select(async mount =>
        {
            var files = new List<DatasetFile>();
            await foreach (var source in mount.Storage.ListAsync(cancellationToken))
            {
                files.Add(mount.FileOf(source));
            }

            return files;
        }));
        return [.. perMount.SelectMany(f => f)];
    }

    /// <summary>The listing with the stats made after it began laid over it; older stats are dropped. Under _gate.</summary>
    private DatasetListing WithLaterStats(DatasetListing listing, DateTimeOffset started)
    {
        foreach (var (path, (file, at)) in _stats.ToList())
        {
            if (at > started)
            {
                listing = listing.With(path, file);
            }
            else
            {
                _stats.Remove(path);
            }
        }

        return listing;
    }

    private FileNotFoundException NotFound(string path, string why) =>
        new($"'{path}' is not a file of dataset {_datasetId}: {why}. List the dataset's files to see what it holds.", path);
}
