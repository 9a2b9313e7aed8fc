namespace Fluid.Aspire.Cache.Reading;

/// <summary>How far a <see cref="CachedDataset.PreloadAsync"/> has come: a DataLoad's progress.</summary>
/// <param name="FilesDone">Files whose every block is cached.</param>
/// <param name="FilesTotal">Files to load.</param>
/// <param name="BytesDone">Bytes of blocks cached, those found cached included.</param>
/// <param name="BytesTotal">Bytes of the files to load.</param>
public sealed record PreloadProgress(int FilesDone, int FilesTotal, long BytesDone, long BytesTotal);
