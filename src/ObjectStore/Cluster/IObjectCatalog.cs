using System.Diagnostics.CodeAnalysis;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Cluster;


/// <summary>
/// The cluster's view of objects: which are persisted, their global names, where copies are, and which instances
/// are alive. Kept in etcd; read from a local cache that a watch keeps current, so lookups cost no round trip.
/// </summary>
internal interface IObjectCatalog
{
    /// <summary>This instance's number, unique among live instances, and kept for the life of the process: its ids carry it.</summary>
    int Instance { get; }

    /// <summary>Completes once the instance has its number and the catalog is loaded.</summary>
    Task Ready { get; }

    /// <summary>False for a daemon started without etcd: it serves its node only.</summary>
    bool IsClustered { get; }

    IReadOnlyCollection<ObjectMeta> PersistedObjects { get; }

    /// <summary>Raised when a persisted object is deleted anywhere, so that local copies go too.</summary>
    event Action<ObjectId>? ObjectDeleted;

    bool TryGetObject(ObjectId id, [NotNullWhen(true)] out ObjectMeta? meta);

    /// <summary>A persisted object by id or name: from the cache, or, when the cache has not seen it yet, from etcd.</summary>
    Task<ObjectMeta?> FindAsync(Ipc.ObjectRef target, CancellationToken cancellationToken);

    bool TryResolveName(string name, out ObjectId id);

    IReadOnlyList<string> NamesOf(ObjectId id);

    InstanceRecord? FindInstance(int instance);

    /// <summary>The instances that hold the object: its creator and every instance that fetched a copy.</summary>
    IReadOnlyList<int> LocationsOf(ObjectId id);

    /// <summary>
    /// Writes the metadata and names in one transaction; fails with NameTaken, changing nothing, when a name is in use.
    /// Safe to repeat: a repeat finds a transaction committed earlier whose answer was lost.
    /// </summary>
    Task PersistAsync(ObjectMeta meta, IReadOnlyCollection<string> names, CancellationToken cancellationToken);

    Task PutNameAsync(string name, ObjectId id, CancellationToken cancellationToken);

    Task DropNameAsync(string name, CancellationToken cancellationToken);

    /// <summary>Removes the object, its names and the records of its copies.</summary>
    Task DeleteAsync(ObjectId id, CancellationToken cancellationToken);

    /// <summary>Records that this instance now holds a copy.</summary>
    Task AddReplicaAsync(ObjectId id, CancellationToken cancellationToken);
}
