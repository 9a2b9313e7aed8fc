using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;

namespace Fluid.Aspire.TestSupport;

/// <summary>What a stack keeps in etcd, read past the resource store, to check that nothing was left behind.</summary>
public static class StoredResources
{
    /// <summary>
    /// The keys of every resource stored (all kinds, events too) under the connection's prefix, but the stack's
    /// Namespaces, which outlive what is created in them.
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
        return [.. keys.Kvs.Select(kv => kv.Key.ToStringUtf8()).Where(key => !key.StartsWith($"{prefix}core/namespaces/", StringComparison.Ordinal))];
    }
}
