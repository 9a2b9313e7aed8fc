using Fluid.Aspire.Cluster.Leadership;
using Fluid.Aspire.TestSupport;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Fluid.Aspire.Controller.Tests.Leadership;

/// <summary>The controller's leader election times the Lease on its own monotonic clock, not on the wall clock.</summary>
public sealed class LeaderElectionClockTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_follower_takes_an_unrenewed_Lease_a_lease_duration_after_it_saw_it_change_by_its_own_clock()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var api = await ApiServerProcess.StartAsync(etcd, Cancellation);
        using var kubernetes = api.CreateKubernetes();
        // Held by a process gone silent, whose renewTime is a day old by this machine's wall clock: only what this
        // process sees change, and how long ago by its own clock, counts.
        var renewed = DateTime.UtcNow.AddDays(-1);
        await kubernetes.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "clocked", NamespaceProperty = "default" },
            Spec = new V1LeaseSpec { HolderIdentity = "silent", LeaseDurationSeconds = 3, AcquireTime = renewed, RenewTime = renewed },
        }, "default", cancellationToken: Cancellation);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var election = new LeaderElection(kubernetes, "default", "clocked", Ttl, NullLogger.Instance, clock);
        using var stop = new CancellationTokenSource();
        var leading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = election.RunAsync(async token =>
        {
            leading.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        }, stop.Token);

        // More than the lease's duration passes on the wall clock, none on the election's: it must not take over.
        await Task.Delay(Ttl + TimeSpan.FromSeconds(1), Cancellation);
        Assert.False(election.IsLeader);
        clock.Advance(Ttl - TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(1), Cancellation);
        Assert.False(election.IsLeader);

        // Past the duration on its clock, it takes over at its next try.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!leading.Task.IsCompleted && DateTime.UtcNow < deadline)
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            await Task.WhenAny(leading.Task, Task.Delay(200, Cancellation));
        }

        Assert.True(election.IsLeader, "the follower leads once the Lease expired by its clock");
        var lease = await kubernetes.CoordinationV1.ReadNamespacedLeaseAsync("clocked", "default", cancellationToken: Cancellation);
        Assert.Equal((election.Identity, 1), (lease.Spec.HolderIdentity, lease.Spec.LeaseTransitions));

        await stop.CancelAsync();
        await running;
        Assert.Equal("", (await kubernetes.CoordinationV1.ReadNamespacedLeaseAsync("clocked", "default", cancellationToken: Cancellation)).Spec.HolderIdentity);
    }
}
