namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>How the store uses its memory beyond the arenas themselves.</summary>
internal sealed record StoreOptions
{
    /// <summary>Where sealed, unreferenced blobs go when memory runs short; null disables spilling.</summary>
    public string? SpillPath { get; init; }

    /// <summary>Spilling in the background starts when this fraction of the memory is used…</summary>
    public double SpillHighWatermark { get; init; } = 0.8;

    /// <summary>…and goes on until only this fraction is used.</summary>
    public double SpillLowWatermark { get; init; } = 0.3;

    /// <summary>The largest spare blob handed out ahead of a put: spares are for small objects, whose round trips dominate.</summary>
    public long MaxSpareSize { get; init; } = 64 * 1024;

    /// <summary>The most blobs one request may create.</summary>
    public int MaxBlobsPerRequest { get; init; } = 65_536;
}
