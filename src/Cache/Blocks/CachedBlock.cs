using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Cache.Blocks;

/// <summary>
/// A block in the cache. A reader on the same node may open <see cref="Path"/> itself (short circuit); the file may
/// move to a slower tier or be evicted later, so a reader that finds it gone asks the store again. Its name carries
/// the checksum (see docs/cache.md), so such a reader can verify what it read.
/// </summary>
/// <param name="Key">The block.</param>
/// <param name="Path">The block file.</param>
/// <param name="Length">Its length in bytes.</param>
/// <param name="Tier">The tier holding it.</param>
/// <param name="Hit">Whether it was in the cache already (false when this call, or one it joined, fetched it).</param>
public sealed record CachedBlock(BlockKey Key, string Path, int Length, MediumType Tier, bool Hit);
