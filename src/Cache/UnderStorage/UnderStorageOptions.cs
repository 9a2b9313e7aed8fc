namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>How the connectors talk to their under storage.</summary>
public sealed class UnderStorageOptions
{
    /// <summary>How many times a request that failed transiently (5xx, a reset connection, a timeout, a short body) is tried again.</summary>
    public int RetryAttempts { get; set; } = 4;

    /// <summary>The wait before the first retry; each next one doubles it, with jitter.</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long one attempt may take: one request with its body, or one read of a stream.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many files an HTTP listing stats at once (one HEAD each) to learn their sizes and ETags.</summary>
    public int ListConcurrency { get; set; } = 16;

    /// <summary>Keys per S3 ListObjectsV2 page.</summary>
    public int ListPageSize { get; set; } = 1000;

    /// <summary>
    /// Where persistent volume claims are mounted on this node, one directory per claim (<c>{root}/{claim}</c>), so
    /// that <c>pvc://claim/sub/path</c> is read as a local directory; null where none is.
    /// </summary>
    public string? PersistentVolumeClaimRoot { get; set; }

    /// <summary>Throws, naming the setting, when a value cannot work.</summary>
    public void Validate()
    {
        Require(RetryAttempts >= 0, $"RetryAttempts must be 0 or more; it is {RetryAttempts}.");
        Require(FirstBackoff > TimeSpan.Zero, $"FirstBackoff must be positive; it is {FirstBackoff}.");
        Require(RequestTimeout > TimeSpan.Zero, $"RequestTimeout must be positive; it is {RequestTimeout}.");
        Require(ListConcurrency > 0, $"ListConcurrency must be positive; it is {ListConcurrency}.");
        Require(ListPageSize is > 0 and <= 1000, $"ListPageSize must be between 1 and 1000 (S3's limit); it is {ListPageSize}.");
    }

    private static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"Invalid under storage options: {problem}");
        }
    }
}
