namespace Fluid.Aspire.CacheAgent.Client;

/// <summary>One file of a dataset, as a cache agent lists it and a step enumerates it.</summary>
/// <param name="Path">Its path in the dataset's tree, e.g. <c>/sales/2024/jan.csv</c>.</param>
/// <param name="Length">Its size in bytes.</param>
/// <param name="Version">Its version in the under storage (an ETag, or a modification time and length), when it has one.</param>
public sealed record DatasetFileEntry(string Path, long Length, string? Version);

/// <summary>A dataset's files as one of its cache workers listed them.</summary>
/// <param name="ListedAt">When the listing began.</param>
/// <param name="TotalBytes">The files' total size.</param>
/// <param name="Files">The files, by path.</param>
public sealed record DatasetFileListing(DateTimeOffset ListedAt, long TotalBytes, IReadOnlyList<DatasetFileEntry> Files);
