using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>Where a blob's bytes are and who may touch them.</summary>
internal enum BlobState
{
    /// <summary>Being written by the connection that created it; nobody else can see it.</summary>
    Unsealed,

    /// <summary>Immutable and in memory.</summary>
    Sealed,

    /// <summary>Immutable, in memory, and being copied to the spill directory.</summary>
    Spilling,

    /// <summary>Immutable and only in the spill directory; a get loads it back.</summary>
    Spilled,
}

/// <summary>
/// Bytes in an arena. Guarded by the store's lock: every field is read and written only while holding it.
/// </summary>
internal sealed class Blob(ObjectId id, BlobSpace space, long length, ClientSession? owner)
{
    public ObjectId Id { get; } = id;

    public BlobSpace Space { get; set; } = space;

    /// <summary>The bytes the writer filled; at most the block's capacity.</summary>
    public long Length { get; set; } = length;

    public BlobState State
    {
        get;
        set
        {
            Table?.Moved(this, field, value);
            field = value;
        }
    }

    /// <summary>The table that holds it and counts blobs by state; told of every change.</summary>
    public BlobTable? Table { get; set; }

    /// <summary>The connection writing it, while unsealed.</summary>
    public ClientSession? Owner { get; set; } = owner;

    /// <summary>How many objects have it as a member; it is freed when none has and nobody pins it.</summary>
    public int ObjectReferences { get; set; }

    /// <summary>Readers and transfers that need it in memory: a pinned blob is never spilled or freed.</summary>
    public int Pins { get; set; }

    /// <summary>When it was last read or written (Stopwatch ticks): spilling takes the least recently used first.</summary>
    public long LastUsed { get; set; }

    /// <summary>The load from the spill directory in progress, which every reader of a spilled blob awaits.</summary>
    public Task? Reload { get; set; }

    public bool IsResident => State is BlobState.Unsealed or BlobState.Sealed or BlobState.Spilling;

    public BlobLocation Location => new(Id, Space.Arena.Id, Space.Offset, Length);
}
