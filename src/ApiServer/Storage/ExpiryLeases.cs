using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;

namespace Fluid.Aspire.ApiServer.Storage;

/// <summary>
/// The etcd leases that make objects expire: etcd deletes a key written with a lease when the lease's TTL runs out.
/// As kube-apiserver does for its event TTL, one lease serves every write of a short window (a twentieth of the TTL,
/// at most a minute) and lives that much longer than the TTL, so that a burst of writes costs one lease, not one
/// each: an object expires between one TTL and one TTL plus the window after its last write.
/// </summary>
public sealed class ExpiryLeases(EtcdConnection etcd, TimeProvider clock)
{
    private static readonly TimeSpan MaxReuse = TimeSpan.FromMinutes(1);
    private readonly Lock _gate = new();
    private Granted? _current;

    /// <summary>A lease under which a key written now expires after <paramref name="ttl"/> (and at most the reuse window more).</summary>
    public async Task<long> ForAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        var reuse = ttl / 20 < MaxReuse ? ttl / 20 : MaxReuse;
        lock (_gate)
        {
            if (_current is { } current && current.Ttl == ttl && clock.GetElapsedTime(current.GrantedAt) < reuse)
            {
                return current.Id;
            }
        }

        // Timed from before the grant: etcd's countdown starts no earlier. Writes that race here may each grant one,
        // which costs a lease, not correctness.
        var grantedAt = clock.GetTimestamp();
        var lease = await etcd.Leases.LeaseGrantAsync(
            new LeaseGrantRequest { TTL = (long)Math.Ceiling((ttl + reuse).TotalSeconds) }, cancellationToken: cancellationToken);
        lock (_gate)
        {
            _current = new Granted(lease.ID, ttl, grantedAt);
        }

        return lease.ID;
    }

    /// <summary>Stops handing out a lease etcd no longer has (it refused a write under it).</summary>
    public void Forget(long lease)
    {
        lock (_gate)
        {
            if (_current?.Id == lease)
            {
                _current = null;
            }
        }
    }

    private sealed record Granted(long Id, TimeSpan Ttl, long GrantedAt);
}
