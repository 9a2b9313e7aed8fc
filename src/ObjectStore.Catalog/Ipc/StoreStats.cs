namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>A daemon's memory and activity, as <c>stats</c> shows it.</summary>
public sealed record StoreStats
{
    public int Instance { get; init; }

    public string Node { get; init; } = "";

    /// <summary>"memfd" or "shm": what backs the arenas.</summary>
    public string Backend { get; init; } = "";

    public int Arenas { get; init; }

    public long Capacity { get; init; }

    public long Used { get; init; }

    public long Free { get; init; }

    public long LargestFreeBlock { get; init; }

    /// <summary>1 - largest free block / free bytes: 0 when the free space is one block.</summary>
    public double Fragmentation { get; init; }

    public int Objects { get; init; }

    public int Blobs { get; init; }

    public int UnsealedBlobs { get; init; }

    public int Connections { get; init; }

    public long SpilledBytes { get; init; }

    public int SpilledBlobs { get; init; }

    public long Puts { get; init; }

    public long Gets { get; init; }

    public long FetchedBytes { get; init; }
}
