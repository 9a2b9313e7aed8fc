using Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cluster.Etcd;

/// <summary>
/// Keeping a lease alive, and letting it go: what every daemon that registers itself in etcd does, so that its
/// keys vanish when it dies.
/// </summary>
public static class EtcdLeases
{
    /// <summary>
    /// Refreshes <paramref name="lease"/> every third of <paramref name="ttl"/>; returns when etcd says it has
    /// expired. <paramref name="renewed"/>, if given, is called with the time of each confirmed refresh.
    /// </summary>
    /// <exception cref="IOException">etcd closed the keep-alive stream.</exception>
    public static async Task KeepAliveAsync(
        EtcdConnection etcd, long lease, TimeSpan ttl, CancellationToken stoppingToken, Action<DateTimeOffset>? renewed = null)
    {
        using var call = etcd.Leases.LeaseKeepAlive(cancellationToken: stoppingToken);
        while (true)
        {
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = lease }, stoppingToken);
            using var answered = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            answered.CancelAfter(ttl);
            if (!await call.ResponseStream.MoveNext(answered.Token))
            {
                throw new IOException("etcd closed the lease keep-alive stream");
            }

            if (call.ResponseStream.Current.TTL <= 0)
            {
                return;
            }

            renewed?.Invoke(DateTimeOffset.UtcNow);

            await Task.Delay(ttl / 3, stoppingToken);
        }
    }

    /// <summary>Revokes a lease, deleting its keys at once; on failure they go when it expires.</summary>
    /// <returns>True when etcd confirmed the revocation.</returns>
    public static async Task<bool> TryRevokeAsync(EtcdConnection etcd, long lease, ILogger logger, string what, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await etcd.Leases.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, cancellationToken: timeout.Token);
            logger.LogInformation("Deregistered {What}.", what);
            return true;
        }
        catch (Exception ex) when (ex is RpcException or IOException or OperationCanceledException)
        {
            logger.LogWarning("Could not deregister {What} ({Reason}); it goes when its lease expires.", what, ex.Message);
            return false;
        }
    }
}
