using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;

namespace Fluid.Aspire.TestSupport;

/// <summary>What a stack keeps in etcd, read past the resource store, to check that nothing was left behind.</summary>
public static class StoredResources
{
    /// <summary>
    /// The keys of every resource a pipeline leaves (this project's kinds and events) under the connection's prefix;
    /// not the stack's own Namespaces and Leases, which outlive any pipeline.
    /// </summary>
    public static async Task<string[]> KeysAsync(ClusterConnectionString connectionString, CancellationToken cancellationToken)
    {
        using var etcd = new EtcdConnection(connectionString);
        var prefix = $"{etcd.Prefix}/resources/";
        var keys = await etcd.KeyValue.RangeAsync(new RangeRequest
        {
            Key = EtcdKeys.ToBytes(prefix),
            RangeEnd = EtcdKeys.PrefixRangeEnd(prefix),
            KeysOnly = true,
        }, cancellationToken: cancellationToken);
        return [.. keys.Kvs.Select(kv => kv.Key.ToStringUtf8())
            .Where(key => key.StartsWith($"{prefix}{Contracts.ResourceKinds.Group}/", StringComparison.Ordinal) || key.StartsWith($"{prefix}core/events/", StringComparison.Ordinal))];
    }
}
