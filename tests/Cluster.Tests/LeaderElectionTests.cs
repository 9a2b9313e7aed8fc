using Fluid.Aspire.Cluster.Leadership;
using Fluid.Aspire.Contracts.Kubernetes;
using k8s;
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
        await using var api = await ApiServerProcess.StartAsync(etcd, Cancellation);
        using var kubernetes = new k8s.Kubernetes(Kubeconfig.Load(api.KubeconfigPath));
        var first = new Candidate(kubernetes);
        var second = new Candidate(kubernetes);

        var leader = await Eventually.ReturnsAsync(() => new[] { first, second }.Where(c => c.Election.IsLeader).ToArray(),
            leaders => leaders.Length == 1, Patience, "exactly one leader", Cancellation);
        await Task.Delay(Ttl, Cancellation);
        Assert.Single(new[] { first, second }, c => c.Election.IsLeader);
        Assert.Equal(leader[0].Election.Identity, await HolderAsync(kubernetes));
        Assert.False(first.Overlapped || second.Overlapped);

        var follower = leader[0] == first ? second : first;
        await leader[0].StopAsync();

        // The leader gave the Lease up: the follower takes over well within the lease's duration.
        await Eventually.ReturnsAsync(() => follower.Election.IsLeader, yes => yes, Ttl, "the follower leading", Cancellation);
        Assert.Equal(follower.Election.Identity, await HolderAsync(kubernetes));
        await follower.StopAsync();
        Assert.False(first.Overlapped || second.Overlapped);
    }

    [Fact]
    public async Task A_leader_cut_off_from_the_api_stops_leading_before_anyone_else_starts()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var api = await ApiServerProcess.StartAsync(etcd, Cancellation);
        await using var proxy = new TcpProxy(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, api.Port));
        var throughProxy = Kubeconfig.Load(api.KubeconfigPath);
        throughProxy.Host = $"https://127.0.0.1:{proxy.Url.Port}";
        using var partitioned = new k8s.Kubernetes(throughProxy);
        using var direct = new k8s.Kubernetes(Kubeconfig.Load(api.KubeconfigPath));
        var first = new Candidate(partitioned);
        await Eventually.ReturnsAsync(() => first.Election.IsLeader, yes => yes, Patience, "the first candidate leading", Cancellation);
        var second = new Candidate(direct);

        // The leader can no longer reach the API: it must step down before its Lease can pass to the other.
        proxy.Cut();

        await Eventually.ReturnsAsync(() => second.Election.IsLeader, yes => yes, Patience, "the second candidate leading", Cancellation);
        Assert.False(first.Election.IsLeader);
        Assert.False(first.Overlapped || second.Overlapped);
        await second.StopAsync();
        proxy.Restore();
        await first.StopAsync();
    }

    private static async Task<string?> HolderAsync(k8s.Kubernetes kubernetes) =>
        (await kubernetes.CoordinationV1.ReadNamespacedLeaseAsync("test", "default", cancellationToken: Cancellation)).Spec.HolderIdentity;

    /// <summary>A process taking part in the election; it records whether it ever led while another did.</summary>
    private sealed class Candidate : IDisposable
    {
        private static int s_leading;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;

        public Candidate(k8s.Kubernetes kubernetes)
        {
            Election = new LeaderElection(kubernetes, "default", "test", Ttl, NullLogger.Instance);
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
