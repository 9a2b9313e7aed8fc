using Fluid.Aspire.Contracts;

namespace Fluid.Aspire.Hosting.Kubernetes.Rbac;

/// <summary>
/// The declared permission list of each component of the stack: the publisher writes exactly these rules, and no
/// rule holds a wildcard. Every custom kind of <see cref="ResourceKinds"/> is covered without being listed here.
/// </summary>
public static class ComponentPermissions
{
    private static readonly string[] Read = ["get", "list", "watch"];

    /// <summary>The controller: reconciles every custom kind, runs steps as pods, elects a leader, records events.</summary>
    public static IReadOnlyList<PermissionRule> Controller { get; } =
    [
        .. ResourceKinds.All.SelectMany(kind => new[]
        {
            new PermissionRule(kind.Group, kind.Plural,
                kind.IsOperation ? [.. Read, "create", "update", "patch", "delete"] : [.. Read, "update", "patch"],
                PermissionScope.Cluster,
                kind.IsOperation
                    ? $"reconciles {kind.Kind} steps in every namespace, starts the next run of a recurring one and deletes finished ones after their TTL"
                    : $"reconciles {kind.Kind} objects in every namespace and manages their finalizers"),
            new PermissionRule(kind.Group, $"{kind.Plural}/status", ["get", "update", "patch"], PermissionScope.Cluster,
                $"reports the observed state of each {kind.Kind}"),
        }),
        new PermissionRule("", "events", ["create", "patch"], PermissionScope.Cluster, "records what happened to an object, in the object's namespace"),
        new PermissionRule("", "pods", [.. Read, "create", "delete"], PermissionScope.Cluster, "runs each step as a pod on the node the scheduler chose, and stops it"),
        new PermissionRule("", "pods/log", ["get"], PermissionScope.Cluster, "keeps the tail of a failed step's log in its status"),
        new PermissionRule("", "nodes", Read, PermissionScope.Cluster, "places steps by the nodes' locality labels and free capacity"),
        new PermissionRule("", "secrets", ["get"], PermissionScope.Cluster,
            "reads the Secrets that datasets' encryptOptions name (S3 credentials, say), whose values it gives the cache agents that read the mounts"),
        new PermissionRule("coordination.k8s.io", "leases", [.. Read, "create", "update"], PermissionScope.Namespace,
            "elects one active controller among the replicas, and follows which node daemons are alive from their Leases, in the stack's namespace"),
    ];

    /// <summary>The object store: its objects' state is in etcd; on the API it only keeps its node member Lease.</summary>
    public static IReadOnlyList<PermissionRule> ObjectStore { get; } = NodeDaemon;

    /// <summary>The cache agent: on the API it only keeps its node member Lease.</summary>
    public static IReadOnlyList<PermissionRule> CacheAgent { get; } = NodeDaemon;

    private static PermissionRule[] NodeDaemon =>
    [
        new PermissionRule("coordination.k8s.io", "leases", ["get", "create", "update", "delete"], PermissionScope.Namespace,
            "says the daemon is alive on its node with a Lease it renews, and deletes it when it stops"),
    ];
}
