using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>What the catalog tests read straight from etcd, and how they record a call's result or refusal.</summary>
internal static class CatalogProbe
{
    /// <summary>The result of <paramref name="action"/>, or the ObjectStoreException it was refused with.</summary>
    public static async Task<object?> Record<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (ObjectStoreException ex)
        {
            return ex;
        }
    }

    /// <summary>The keys under <paramref name="prefix"/>.</summary>
    public static async Task<IReadOnlyList<Mvccpb.KeyValue>> ListAsync(EtcdConnection connection, string prefix) =>
        (await connection.KeyValue.RangeAsync(new RangeRequest
        {
            Key = EtcdKeys.ToBytes(prefix),
            RangeEnd = EtcdKeys.PrefixRangeEnd(prefix),
        }, cancellationToken: TestContext.Current.CancellationToken)).Kvs;
}
