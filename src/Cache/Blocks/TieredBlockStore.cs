using System.Buffers;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cache.Blocks;

/// <summary>
/// The block cache of one node: blocks of dataset files in tiers of directories (MEM on tmpfs, SSD, HDD), each
/// block a file that a reader on the node may open directly. Missing blocks are fetched once however many readers
/// wait (single flight), placed in the fastest tier with room, and moved down or evicted least recently used first
/// when a tier passes its high watermark; pinned files stay. See docs/cache.md, "Tiered block cache".
/// </summary>
public sealed partial class TieredBlockStore : IAsyncDisposable
{
    private readonly IReadOnlyList<BlockTier> _tiers;
    private readonly ILogger _logger;
    private readonly BlockCacheMetrics _metrics;
    private readonly PinnedFiles _pins;

    // Guards the index, the fetches under way, the pins and the tiers' use; held for no I/O.
    private readonly Lock _gate = new();
    private readonly Dictionary<BlockAddress, BlockEntry> _blocks = [];
    private readonly Dictionary<BlockAddress, Task<BlockEntry>> _fetches = [];

    // Serializes every change to the files (placing, moving, evicting, removing, pins), so that a block file is never
    // deleted while one of the same name is being written. Fetches and reads run outside it.
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private Task _verification = Task.CompletedTask;
    private long _clock;
    private bool _disposed;

    private TieredBlockStore(IReadOnlyList<TierSettings> tiers, int blockSize, ILogger logger)
    {
        _tiers = [.. tiers.Select(t => new BlockTier(t))];
        BlockSize = blockSize;
        _logger = logger;
        _pins = new PinnedFiles([.. tiers.Select(t => t.Directories[0])]);
        _metrics = new BlockCacheMetrics(Snapshot);
    }

    /// <summary>The size of a block; a file's last block may be shorter.</summary>
    public int BlockSize { get; }

    /// <summary>
    /// Opens the store: checks the options, re-indexes the blocks on disk (removing unfinished and unreadable files,
    /// and blocks cut with another block size), frees tiers above their high watermark, and starts checking every
    /// block's contents in the background; a block is served only once checked.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names each field.</exception>
    public static async Task<TieredBlockStore> OpenAsync(TieredBlockStoreOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var store = new TieredBlockStore(options.Resolve(), options.BlockSize, logger);
        try
        {
            await store.RecoverAsync(cancellationToken);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The block, from the cache or else fetched: <paramref name="fetch"/> fills the buffer it is given and returns
    /// how many bytes it wrote. Concurrent callers for one missing block share one fetch (the first caller's), run
    /// under the store's lifetime, which each caller waits for as long as its own token allows. A fetch that fails or
    /// returns fewer than <paramref name="length"/> bytes caches nothing and fails every caller waiting for it.
    /// </summary>
    /// <param name="key">The block.</param>
    /// <param name="length">Its length: <see cref="BlockSize"/>, or less for a file's last block.</param>
    /// <param name="fetch">Reads the block from the under storage.</param>
    /// <param name="options">Whether to pin the block's file.</param>
    /// <param name="cancellationToken">Stops this caller's wait (not a fetch others may wait for).</param>
    /// <exception cref="IOException">No tier has room even after eviction, or the disk is full; the message says what to do.</exception>
    public async ValueTask<CachedBlock> GetOrFetchAsync(
        BlockKey key,
        int length,
        Func<Memory<byte>, CancellationToken, ValueTask<int>> fetch,
        BlockReadOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        var address = AddressOf(key);
        if (length <= 0 || length > BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A block is 1 to {BlockSize} bytes (the block size).");
        }

        if (options?.Pin == true)
        {
            await PinAsync(key.DatasetId, key.FileId, cancellationToken);
        }

        while (true)
        {
            BlockEntry? cached;
            Task<BlockEntry>? fetching = null;
            TaskCompletionSource<BlockEntry>? started = null;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                cached = Use(address);
                if (cached is null && !_fetches.TryGetValue(address, out fetching))
                {
                    started = new TaskCompletionSource<BlockEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
                    fetching = started.Task;
                    _fetches[address] = fetching;
                }
            }

            if (cached is not null)
            {
                if (cached.Length != length)
                {
                    throw new ArgumentException($"Block {key} is cached with {cached.Length} bytes, not {length}; a changed file needs a new file id (BlockKey.FileIdOf with its new version).", nameof(length));
                }

                if (await EnsureVerifiedAsync(cached, cancellationToken))
                {
                    _metrics.Hit(length);
                    return Describe(key, cached, hit: true);
                }

                continue; // Removed as corrupt or moved meanwhile: look again.
            }

            _metrics.Miss();
            if (started is not null)
            {
                _ = FetchAsync(key, address, length, fetch, started);
            }

            return Describe(key, await fetching!.WaitAsync(cancellationToken), hit: false);
        }
    }

    /// <summary>The block if it is cached and checked; no fetch, and not counted as a hit or a miss.</summary>
    public bool TryGet(BlockKey key, out CachedBlock block)
    {
        var address = AddressOf(key);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Use(address) is { Verified: true } entry)
            {
                block = Describe(key, entry, hit: true);
                return true;
            }
        }

        block = null!;
        return false;
    }

    /// <summary>
    /// Reads a cached block into <paramref name="destination"/>, checking its checksum; null when it is not cached
    /// or did not match (then it is removed, and the caller fetches it again with <see cref="GetOrFetchAsync"/>).
    /// </summary>
    public async ValueTask<CachedBlock?> TryReadAsync(BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var address = AddressOf(key);
        while (true)
        {
            BlockEntry? entry;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                entry = Use(address);
            }

            if (entry is null)
            {
                return null;
            }

            if (destination.Length < entry.Length)
            {
                throw new ArgumentException($"Block {key} has {entry.Length} bytes; the destination holds {destination.Length}.", nameof(destination));
            }

            if (await BlockFiles.TryReadAsync(entry.Path, destination[..entry.Length], entry.Checksum, cancellationToken))
            {
                lock (_gate)
                {
                    entry.Verified = true;
                }

                return Describe(key, entry, hit: true);
            }

            if (await RemoveIfCurrentAsync(entry, cancellationToken))
            {
                return null;
            }
        }
    }

    /// <summary>Pins a file: its blocks, cached now or later, are never evicted, also after a restart.</summary>
    public Task PinAsync(string datasetId, string fileId, CancellationToken cancellationToken) => SetPinnedAsync(datasetId, fileId, pinned: true, cancellationToken);

    /// <summary>Unpins a file: its blocks are evicted as any others.</summary>
    public Task UnpinAsync(string datasetId, string fileId, CancellationToken cancellationToken) => SetPinnedAsync(datasetId, fileId, pinned: false, cancellationToken);

    public bool IsPinned(string datasetId, string fileId)
    {
        var address = AddressOf(new BlockKey(datasetId, fileId, 0));
        lock (_gate)
        {
            return _pins.Contains(address);
        }
    }

    /// <summary>Removes every block and pin of a dataset, from every tier; returns how many blocks were removed.</summary>
    public async Task<int> EvictDatasetAsync(string datasetId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(datasetId);
        var dataset = BlockLayout.DatasetDirectory(datasetId);
        await _changes.WaitAsync(cancellationToken);
        try
        {
            List<BlockEntry> removed;
            lock (_gate)
            {
                removed = [.. _blocks.Values.Where(e => e.Address.Dataset == dataset)];
                removed.ForEach(Unindex);
                _pins.Set(dataset, []);
            }

            foreach (var directory in _tiers.SelectMany(t => t.Settings.Directories).Select(d => Path.Combine(d, dataset)).Where(Directory.Exists))
            {
                Directory.Delete(directory, recursive: true);
            }

            _logger.LogInformation("Evicted dataset {Dataset} from the block cache: {Blocks} blocks, {Bytes}.", datasetId, removed.Count, Contracts.Quantity.FormatBytes(removed.Sum(e => (long)e.Length)));
            return removed.Count;
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Bytes of a dataset's blocks in all tiers: the dataset's <c>cached</c> on this node.</summary>
    public long CachedBytes(string datasetId)
    {
        var dataset = BlockLayout.DatasetDirectory(datasetId);
        lock (_gate)
        {
            return _blocks.Values.Where(e => e.Address.Dataset == dataset).Sum(e => (long)e.Length);
        }
    }

    /// <summary>Each tier's use and the read counters, at this moment.</summary>
    public BlockCacheSnapshot Snapshot()
    {
        lock (_gate)
        {
            var pinned = _blocks.Values.Where(e => _pins.Contains(e.Address)).CountBy(e => e.Tier).ToDictionary();
            return new BlockCacheSnapshot(
                [.. _tiers.Select(t => new TierUsage(t.Settings.Medium, t.Settings.Directories, t.Used, t.Settings.Quota, t.Blocks, pinned.GetValueOrDefault(t)))],
                _metrics.Hits,
                _metrics.Misses,
                _metrics.BytesFromCache,
                _metrics.BytesFetched);
        }
    }

    /// <summary>Stops fetches and the background check, and waits for them; blocks stay on disk for the next open.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            running = [.. _fetches.Values, _verification];
        }

        await _lifetime.CancelAsync();
        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _metrics.Dispose();
        _lifetime.Dispose();
        _changes.Dispose();
    }

    private async Task FetchAsync(BlockKey key, BlockAddress address, int length, Func<Memory<byte>, CancellationToken, ValueTask<int>> fetch, TaskCompletionSource<BlockEntry> done)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var contents = buffer.AsMemory(0, length);
            var fetched = await fetch(contents, _lifetime.Token);
            if (fetched != length)
            {
                throw new IOException($"The fetch of block {key} returned {fetched} bytes of {length}; nothing was cached.");
            }

            _metrics.Fetched(length);
            var entry = await PlaceAsync(key, address, contents, _lifetime.Token);
            lock (_gate)
            {
                _fetches.Remove(address);
            }

            done.SetResult(entry);
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                _fetches.Remove(address);
            }

            done.SetException(e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Checks a block found at open before it is served; false when it was removed (or moved) meanwhile.</summary>
    private async Task<bool> EnsureVerifiedAsync(BlockEntry entry, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (entry.Verified)
            {
                return true;
            }
        }

        if (await BlockFiles.VerifyAsync(entry.Path, entry.Length, entry.Checksum, cancellationToken))
        {
            lock (_gate)
            {
                entry.Verified = true;
            }

            return true;
        }

        await RemoveIfCurrentAsync(entry, cancellationToken);
        return false;
    }

    /// <summary>Removes a block whose file is missing or corrupt, unless it was moved or replaced meanwhile.</summary>
    private async Task<bool> RemoveIfCurrentAsync(BlockEntry entry, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            lock (_gate)
            {
                if (!IsCurrent(entry))
                {
                    return false;
                }

                Unindex(entry);
            }

            BlockFiles.TryDelete(entry.Path);
            _logger.LogWarning("Removed block file {Path}: it is missing, short or does not match its checksum; the block will be fetched again.", entry.Path);
            return true;
        }
        finally
        {
            _changes.Release();
        }
    }

    private async Task SetPinnedAsync(string datasetId, string fileId, bool pinned, CancellationToken cancellationToken)
    {
        var address = AddressOf(new BlockKey(datasetId, fileId, 0));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pins.Contains(address) == pinned)
            {
                return;
            }
        }

        await _changes.WaitAsync(cancellationToken);
        try
        {
            string[] files;
            lock (_gate)
            {
                files = _pins.With(address.Dataset, fileId, pinned);
            }

            await _pins.SaveAsync(address.Dataset, datasetId, files, cancellationToken);
            lock (_gate)
            {
                _pins.Set(address.Dataset, files);
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>The indexed block at an address, marked as used now; under the lock.</summary>
    private BlockEntry? Use(BlockAddress address)
    {
        if (_blocks.TryGetValue(address, out var entry))
        {
            entry.LastUse = ++_clock;
        }

        return entry;
    }

    private bool IsCurrent(BlockEntry entry) => _blocks.TryGetValue(entry.Address, out var current) && ReferenceEquals(current, entry);

    private void Index(BlockEntry entry)
    {
        if (_blocks.TryGetValue(entry.Address, out var previous))
        {
            previous.Tier.Remove(previous);
        }

        _blocks[entry.Address] = entry;
        entry.Tier.Add(entry);
    }

    private void Unindex(BlockEntry entry)
    {
        _blocks.Remove(entry.Address);
        entry.Tier.Remove(entry);
    }

    private static CachedBlock Describe(BlockKey key, BlockEntry entry, bool hit) => new(key, entry.Path, entry.Length, entry.Tier.Settings.Medium, hit);

    private static BlockAddress AddressOf(BlockKey key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key.DatasetId, nameof(key));
        if (key.FileId is null || !BlockLayout.IsFileId(key.FileId))
        {
            throw new ArgumentException($"File id '{key.FileId}' of block {key} is not 1 to 128 letters, digits, '_' or '-'; make it with BlockKey.FileIdOf(path, version).", nameof(key));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(key.Index, nameof(key));
        return new BlockAddress(BlockLayout.DatasetDirectory(key.DatasetId), key.FileId, key.Index);
    }
}
