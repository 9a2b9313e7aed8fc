namespace Fluid.Aspire.Cache.Blocks;

/// <summary>A block as stored: <see cref="BlockKey"/> with the dataset's directory name in place of its id.</summary>
internal readonly record struct BlockAddress(string Dataset, string FileId, long Index);

/// <summary>
/// A block file in the index. Moving a block to another tier indexes a new entry, so a reader holding this one keeps
/// a consistent path, length and tier. The mutable members are guarded by the store's lock.
/// </summary>
internal sealed class BlockEntry(BlockAddress address, int length, ulong checksum, BlockTier tier, string directory, bool verified)
{
    public BlockAddress Address { get; } = address;

    public int Length { get; } = length;

    public ulong Checksum { get; } = checksum;

    public BlockTier Tier { get; } = tier;

    /// <summary>The tier directory holding the file.</summary>
    public string Directory { get; } = directory;

    public string Path { get; } = System.IO.Path.Combine(directory, address.Dataset, address.FileId, BlockLayout.BlockFileName(address.Index, length, checksum));

    /// <summary>False for a block found on disk at open until its contents are checked; such a block is not served.</summary>
    public bool Verified { get; set; } = verified;

    /// <summary>The store's clock at the last read: the smallest is the least recently used.</summary>
    public long LastUse { get; set; }
}
