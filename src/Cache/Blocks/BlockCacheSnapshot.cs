using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Cache.Blocks;

/// <summary>The cache's use and counters at one moment, for status (a dataset's <c>cacheStates</c>).</summary>
/// <param name="Tiers">Each tier, fastest first.</param>
/// <param name="Hits">Reads served from the cache.</param>
/// <param name="Misses">Reads that waited for a fetch (their own or one they joined).</param>
/// <param name="BytesFromCache">Bytes of the blocks of <paramref name="Hits"/>.</param>
/// <param name="BytesFetched">Bytes fetched from the under storage (once per fetch, however many readers waited).</param>
public sealed record BlockCacheSnapshot(IReadOnlyList<TierUsage> Tiers, long Hits, long Misses, long BytesFromCache, long BytesFetched)
{
    /// <summary>Hits among all reads; 0 before the first read.</summary>
    public double HitRatio => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);

    /// <summary>Bytes held in all tiers.</summary>
    public long UsedBytes => Tiers.Sum(t => t.UsedBytes);

    /// <summary>Bytes all tiers may hold.</summary>
    public long QuotaBytes => Tiers.Sum(t => t.QuotaBytes);
}

/// <summary>The use of one tier.</summary>
/// <param name="Medium">The tier's medium.</param>
/// <param name="Directories">Its directories.</param>
/// <param name="UsedBytes">Bytes of the blocks it holds.</param>
/// <param name="QuotaBytes">Bytes it may hold.</param>
/// <param name="Blocks">Blocks it holds.</param>
/// <param name="PinnedBlocks">Of those, the pinned ones.</param>
public sealed record TierUsage(MediumType Medium, IReadOnlyList<string> Directories, long UsedBytes, long QuotaBytes, int Blocks, int PinnedBlocks);
