using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Cluster;

/// <summary>
/// The object store's etcd layout (docs/etcd-layout.md), under the stack's prefix:
/// <c>objectstore/instances/{n}</c>, <c>objectstore/objects/{id}</c>, <c>objectstore/names/{name}</c>,
/// <c>objectstore/replicas/{id}/{n}</c>. Every key lives under the lease of the instance it belongs to.
/// </summary>
public sealed class ObjectStoreKeys(string prefix)
{
    public string Root { get; } = $"{prefix}/objectstore/";

    public string Instances => Root + "instances/";

    public string Objects => Root + "objects/";

    public string Names => Root + "names/";

    public string Replicas => Root + "replicas/";

    public string ForInstance(int instance) => Instances + instance.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public string ForObject(ObjectId id) => Objects + id;

    public string ForName(string name) => Names + name;

    public string ReplicasOf(ObjectId id) => $"{Replicas}{id}/";

    public string ForReplica(ObjectId id, int instance) => ReplicasOf(id) + instance.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The value of a name key: the object it names.</summary>
public sealed record NameEntry(ObjectId Id);
