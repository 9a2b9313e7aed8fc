using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>
/// What one connection holds: the objects it got and has not released, and the blobs it is writing. When the
/// connection goes, for whatever reason, all of it is given back. Guarded by the store's lock.
/// </summary>
internal sealed class ClientSession(long id, string clientName, int processId)
{
    public long Id { get; } = id;

    public string ClientName { get; } = clientName;

    public int ProcessId { get; } = processId;

    /// <summary>How many times each object was got and not yet released.</summary>
    public Dictionary<ObjectId, int> Holds { get; } = [];

    /// <summary>Blobs created and not yet sealed into an object.</summary>
    public HashSet<Blob> Unsealed { get; } = [];

    /// <summary>The blob handed out ahead of the next small put, if not yet used.</summary>
    public Blob? Spare { get; set; }

    public override string ToString() => $"{ClientName} (pid {ProcessId}, connection {Id})";
}
