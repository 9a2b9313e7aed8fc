namespace Fluid.Aspire.Cache.Reading;

/// <summary>How a <see cref="CachedDataset"/> lists its files and reads them through the block cache.</summary>
public sealed class CachedDatasetOptions
{
    /// <summary>
    /// How old the listing of the dataset's files may get before it is listed again in the background; a caller
    /// sees a listing at most this plus one listing's duration old (see docs/cache.md).
    /// </summary>
    public TimeSpan ListingTtl { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How soon a listing that failed is tried again (the last good listing is served meanwhile).</summary>
    public TimeSpan ListingRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After how many blocks read in order a reader counts as sequential and gets read-ahead; a reader that starts
    /// at the file's first byte counts as sequential at once.
    /// </summary>
    public int ReadAheadAfterBlocks { get; init; } = 2;

    /// <summary>How many blocks ahead of a sequential reader are fetched in the background, over one streaming request; 0 turns read-ahead off.</summary>
    public int ReadAheadBlocks { get; init; } = 8;

    /// <summary>How many files a preload fetches at once.</summary>
    public int PreloadConcurrency { get; init; } = 8;

    /// <summary>Throws, naming each setting that cannot work and what it must be.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (ListingTtl <= TimeSpan.Zero)
        {
            problems.Add($"ListingTtl: is {ListingTtl}; it must be positive, e.g. 00:01:00.");
        }

        if (ListingRetryDelay <= TimeSpan.Zero)
        {
            problems.Add($"ListingRetryDelay: is {ListingRetryDelay}; it must be positive, e.g. 00:00:05.");
        }

        if (ReadAheadAfterBlocks < 1)
        {
            problems.Add($"ReadAheadAfterBlocks: is {ReadAheadAfterBlocks}; it must be 1 or more, e.g. 2.");
        }

        if (ReadAheadBlocks < 0)
        {
            problems.Add($"ReadAheadBlocks: is {ReadAheadBlocks}; it must be 0 (no read-ahead) or more, e.g. 8.");
        }

        if (PreloadConcurrency < 1)
        {
            problems.Add($"PreloadConcurrency: is {PreloadConcurrency}; it must be 1 or more, e.g. 8.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid cached dataset options: {string.Join("; ", problems)}");
        }
    }
}
