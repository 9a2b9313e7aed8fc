using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Cluster.Leadership;
using Fluid.Aspire.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Aspire.Cluster.Tests;

public sealed class LeaderElectionTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Of_two_candidates_one_leads_and_the_other_takes_over_when_it_stops()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        using var connection = new EtcdConnection(etcd.ConnectionString());
        var first = new Candidate(connection);
        var second = new Candidate(connection);

        var leader = await Eventually.ReturnsAsync(() => new[] { first, second }.Where(c => c.Election.IsLeader).ToArray(),
            leaders => leaders.Length == 1, Patience, "exactly one leader", Cancellation);
        await Task.Delay(Ttl, Cancellation);
        Assert.Single(new[] { first, second }, c => c.Election.IsLeader);
        Assert.False(first.Overlapped || second.Overlapped);

        var follower = leader[0] == first ? second : first;
        await leader[0].StopAsync();

        await Eventually.ReturnsAsync(() => follower.Election.IsLeader, yes => yes, Patience, "the follower leading", Cancellation);
        Assert.Equal(follower.Election.Identity, await HolderAsync(connection, follower.Election.Key));
        await follower.StopAsync();
        Assert.False(first.Overlapped || second.Overlapped);
    }

    [Fact]
    public async Task A_leader_cut_off_from_etcd_stops_leading_before_anyone_else_starts()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var proxy = new TcpProxy(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, etcd.ClientPort));
        using var partitioned = new EtcdConnection(new ClusterConnectionString([proxy.Url]));
        using var direct = new EtcdConnection(etcd.ConnectionString());
        var first = new Candidate(partitioned);
        await Eventually.ReturnsAsync(() => first.Election.IsLeader, yes => yes, Patience, "the first candidate leading", Cancellation);
        var second = new Candidate(direct);

        // The leader can no longer reach etcd: it must step down before etcd lets its lease expire.
        proxy.Cut();

        await Eventually.ReturnsAsync(() => second.Election.IsLeader, yes => yes, Patience, "the second candidate leading", Cancellation);
        Assert.False(first.Election.IsLeader);
        Assert.False(first.Overlapped || second.Overlapped);
        await second.StopAsync();
        proxy.Restore();
        await first.StopAsync();
    }

    private static async Task<string> HolderAsync(EtcdConnection connection, string key) =>
        (await connection.KeyValue.RangeAsync(new RangeRequest { Key = EtcdKeys.ToBytes(key) }, cancellationToken: Cancellation)).Kvs[0].Value.ToStringUtf8();

    /// <summary>A process taking part in the election; it records whether it ever led while another did.</summary>
    private sealed class Candidate : IDisposable
    {
        private static int s_leading;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;

        public Candidate(EtcdConnection connection)
        {
            Election = new LeaderElection(connection, "test", Ttl, NullLogger.Instance);
            _running = Election.RunAsync(LeadAsync, _stop.Token);
        }

        public LeaderElection Election { get; }

        public bool Overlapped { get; private set; }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _running;
            Dispose();
        }

        public void Dispose() => _stop.Dispose();

        private async Task LeadAsync(CancellationToken leading)
        {
            if (Interlocked.Increment(ref s_leading) > 1)
            {
                Overlapped = true;
            }

            try
            {
                await Task.Delay(Timeout.Infinite, leading);
            }
            finally
            {
                Interlocked.Decrement(ref s_leading);
            }
        }
    }
}
