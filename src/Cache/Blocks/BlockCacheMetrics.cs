using System.Diagnostics.Metrics;

namespace Fluid.Aspire.Cache.Blocks;

/// <summary>
/// The cache's counters, kept as totals for <see cref="BlockCacheSnapshot"/> and published on the meter
/// <see cref="MeterName"/>, so that status and the dashboard agree.
/// </summary>
internal sealed class BlockCacheMetrics : IDisposable
{
    public const string MeterName = "Fluid.Aspire.Cache";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _bytesFromCache;
    private readonly Counter<long> _bytesFetched;
    private long _hitCount;
    private long _missCount;
    private long _bytesFromCacheCount;
    private long _bytesFetchedCount;

    public BlockCacheMetrics(Func<BlockCacheSnapshot> snapshot)
    {
        _hits = _meter.CreateCounter<long>("fluid.cache.hits", "{block}", "Block reads served from the cache");
        _misses = _meter.CreateCounter<long>("fluid.cache.misses", "{block}", "Block reads that waited for a fetch");
        _bytesFromCache = _meter.CreateCounter<long>("fluid.cache.read", "By", "Bytes of blocks served from the cache");
        _bytesFetched = _meter.CreateCounter<long>("fluid.cache.fetched", "By", "Bytes fetched from the under storage");
        _meter.CreateObservableGauge("fluid.cache.tier.used", () => PerTier(snapshot, t => t.UsedBytes), "By", "Bytes held in a tier");
        _meter.CreateObservableGauge("fluid.cache.tier.quota", () => PerTier(snapshot, t => t.QuotaBytes), "By", "Bytes a tier may hold");
        _meter.CreateObservableGauge("fluid.cache.tier.blocks", () => PerTier(snapshot, t => t.Blocks), "{block}", "Blocks held in a tier");
    }

    public long Hits => Interlocked.Read(ref _hitCount);

    public long Misses => Interlocked.Read(ref _missCount);

    public long BytesFromCache => Interlocked.Read(ref _bytesFromCacheCount);

    public long BytesFetched => Interlocked.Read(ref _bytesFetchedCount);

    public void Hit(int length)
    {
        Interlocked.Increment(ref _hitCount);
        Interlocked.Add(ref _bytesFromCacheCount, length);
        _hits.Add(1);
        _bytesFromCache.Add(length);
    }

    public void Miss()
    {
        Interlocked.Increment(ref _missCount);
        _misses.Add(1);
    }

    public void Fetched(int length)
    {
        Interlocked.Add(ref _bytesFetchedCount, length);
        _bytesFetched.Add(length);
    }

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<long>> PerTier(Func<BlockCacheSnapshot> snapshot, Func<TierUsage, long> value) =>
        snapshot().Tiers.Select(t => new Measurement<long>(value(t), new KeyValuePair<string, object?>("medium", Contracts.Serialization.EnumNames.Of(t.Medium))));
}
