using System.Diagnostics.CodeAnalysis;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Cluster;

/// <summary>
/// The catalog of a daemon started without etcd: a single node with no peers. Everything local works; asking for
/// anything that needs the cluster is an error that says how to join one.
/// </summary>
internal sealed class StandaloneCatalog : IObjectCatalog
{
    private const string Hint =
        "This daemon runs standalone (no etcd), so nothing can be persisted or named cluster-wide. Start it with " +
        "--etcd http://HOST:2379 (or ConnectionStrings__fluid) to join a cluster.";

    public event Action<ObjectId>? ObjectDeleted
    {
        add { }
        remove { }
    }

    public int Instance => 0;

    public Task Ready => Task.CompletedTask;

    public bool IsClustered => false;

    public IReadOnlyCollection<ObjectMeta> PersistedObjects => [];

    public bool TryGetObject(ObjectId id, [NotNullWhen(true)] out ObjectMeta? meta)
    {
        meta = null;
        return false;
    }

    public Task<ObjectMeta?> FindAsync(Ipc.ObjectRef target, CancellationToken cancellationToken) => Task.FromResult<ObjectMeta?>(null);

    public bool TryResolveName(string name, out ObjectId id)
    {
        id = ObjectId.None;
        return false;
    }

    public IReadOnlyList<string> NamesOf(ObjectId id) => [];

    public InstanceRecord? FindInstance(int instance) => null;

    public IReadOnlyList<int> LocationsOf(ObjectId id) => [];

    public Task PersistAsync(ObjectMeta meta, IReadOnlyCollection<string> names, CancellationToken cancellationToken) => Refuse();

    public Task PutNameAsync(string name, ObjectId id, CancellationToken cancellationToken) => Refuse();

    public Task DropNameAsync(string name, CancellationToken cancellationToken) => Refuse();

    public Task DeleteAsync(ObjectId id, CancellationToken cancellationToken) => Refuse();

    public Task AddReplicaAsync(ObjectId id, CancellationToken cancellationToken) => Refuse();

    private static Task Refuse() => Task.FromException(new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument, Hint));
}
