using Fluid.Aspire.Cache.Blocks;

namespace Fluid.Aspire.Cache.Reading;

/// <summary>One version of one dataset file cut into the store's blocks.</summary>
internal sealed class FileBlocks(string datasetId, DatasetFile file, int blockSize)
{
    public DatasetFile File => file;

    public int BlockSize => blockSize;

    public long Count { get; } = (file.Length + blockSize - 1) / blockSize;

    public BlockKey Key(long index) => new(datasetId, file.FileId, index);

    public long Offset(long index) => index * blockSize;

    /// <summary>A block's length: the block size, or less for the last one.</summary>
    public int LengthOf(long index) => (int)Math.Min(blockSize, file.Length - (index * blockSize));
}
