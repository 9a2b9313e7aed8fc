namespace Fluid.Aspire.Cache.Reading;

/// <summary>A dataset's reads and fetches since its <see cref="CachedDataset"/> opened, for its <c>cacheStates</c>.</summary>
/// <param name="BytesRead">Bytes readers received (every byte a reader gets comes out of a cached block).</param>
/// <param name="BytesFetched">Bytes fetched from the under storage for readers, read-ahead included.</param>
/// <param name="BytesPreloaded">Bytes fetched from the under storage by preloads.</param>
/// <param name="CachedBytes">Bytes of the dataset's blocks in the node's cache now.</param>
public sealed record DatasetCacheStats(long BytesRead, long BytesFetched, long BytesPreloaded, long CachedBytes)
{
    /// <summary>
    /// The share of bytes read that the under storage did not have to send: 1 − fetched ÷ read, within 0..1; 0 before
    /// the first read. A cold read is 0, a warm one 1, and 32 readers of one cold file 31/32.
    /// </summary>
    public double HitRatio => BytesRead == 0 ? 0 : Math.Clamp(1 - ((double)BytesFetched / BytesRead), 0, 1);
}

/// <summary>Why bytes were fetched from the under storage.</summary>
internal enum FetchPurpose
{
    Read,
    Preload,
}

/// <summary>The counters behind <see cref="DatasetCacheStats"/>, updated by readers and fetches on any thread.</summary>
internal sealed class DatasetReadCounters
{
    private long _read;
    private long _fetched;
    private long _preloaded;

    public void Read(int bytes) => Interlocked.Add(ref _read, bytes);

    public void Fetched(FetchPurpose purpose, int bytes) => Interlocked.Add(ref purpose == FetchPurpose.Read ? ref _fetched : ref _preloaded, bytes);

    public DatasetCacheStats Snapshot(long cachedBytes) =>
        new(Interlocked.Read(ref _read), Interlocked.Read(ref _fetched), Interlocked.Read(ref _preloaded), cachedBytes);
}
