using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>A sealed object this instance holds in memory: its metadata and its blobs. Guarded by the store's lock.</summary>
internal sealed class StoredObject(ObjectMeta meta, Blob[] blobs, bool isReplica)
{
    public ObjectId Id => Meta.Id;

    public ObjectMeta Meta { get; set; } = meta;

    /// <summary>The blob leaves, in the order of <see cref="ObjectMeta.Blobs"/>.</summary>
    public Blob[] Blobs { get; } = blobs;

    /// <summary>Made with the first name: most objects have none, and a store may hold millions.</summary>
    private HashSet<string>? _localNames;

    /// <summary>Names known only to this instance; a persisted object's names live in etcd.</summary>
    public IReadOnlyCollection<string> LocalNames => (IReadOnlyCollection<string>?)_localNames ?? [];

    /// <summary>A copy fetched from the instance that created it.</summary>
    public bool IsReplica { get; } = isReplica;

    public bool IsPersisted => Meta.IsPersisted;

    /// <summary>Gets not yet released, over all connections.</summary>
    public int Holds { get; set; }

    /// <summary>Deleted: no longer found by id or name, and freed once the last holder releases it.</summary>
    public bool IsDeleted { get; set; }

    public void AddLocalName(string name) => (_localNames ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);

    public void RemoveLocalName(string name) => _localNames?.Remove(name);

    public void ClearLocalNames() => _localNames = null;

    public bool IsSpilled => Array.Exists(Blobs, b => b.State == BlobState.Spilled);
}
