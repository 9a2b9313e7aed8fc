using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cluster.Leadership;

/// <summary>
/// One leader among several processes, through a <c>coordination.k8s.io/v1</c> Lease on the Kubernetes API, as
/// client-go's leader election does it: whoever holds the Lease leads while it renews it. A leader that cannot renew
/// for two thirds of the lease's duration stops acting, before anyone else can take the Lease over, so that two never
/// act at once; one that stops gives the Lease up, so that another takes over at once.
/// </summary>
/// <remarks>
/// Every duration is measured on <c>clock</c>'s monotonic timestamps, never on the wall clock: a follower counts
/// another's Lease as expired a lease duration after it last saw the Lease change, without comparing the renew time
/// another machine wrote with its own clock, and a leader's deadline runs from when its last successful renewal
/// began. A wall clock that jumps (NTP, a suspended VM) cannot make two leaders. The wall clock only fills the
/// Lease's <c>acquireTime</c> and <c>renewTime</c>, which people read.
/// </remarks>
/// <param name="kubernetes">The Kubernetes API that holds the Lease.</param>
/// <param name="namespaceName">The Lease's namespace.</param>
/// <param name="name">The Lease's name.</param>
/// <param name="ttl">How long a leader that stopped renewing keeps the others waiting (the Lease's duration).</param>
/// <param name="logger">Where leadership changes and failed attempts are logged.</param>
/// <param name="clock">The clock durations are measured on; the system's unless a test drives one.</param>
public sealed partial class LeaderElection(
    k8s.Kubernetes kubernetes, string namespaceName, string name, TimeSpan ttl, ILogger logger, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private volatile bool _isLeader;

    /// <summary>The Lease's resourceVersion when it was last seen to change, and when that was (a monotonic timestamp).</summary>
    private (string? Version, long At) _observed;

    /// <summary>What one attempt to take or keep the Lease found.</summary>
    private enum Attempt
    {
        /// <summary>This process holds the Lease, renewed by the attempt.</summary>
        Holds,

        /// <summary>Another process holds the Lease, and it has not expired.</summary>
        HeldByAnother,

        /// <summary>The API could not be reached or refused the write; nothing is known.</summary>
        Failed,
    }

    /// <summary>Who this process is in the election: host, process id and a random part.</summary>
    public string Identity { get; } = $"{Environment.MachineName}_{Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The Lease, <c>namespace/name</c>.</summary>
    public string Lease => $"{namespaceName}/{name}";

    public bool IsLeader => _isLeader;

    /// <summary>How long a leader may go without a successful renewal before it stops acting.</summary>
    private TimeSpan RenewDeadline => ttl * 2 / 3;

    /// <summary>How often a leader renews and a follower tries to take the Lease.</summary>
    private TimeSpan RetryPeriod => ttl / 6;

    /// <summary>
    /// Runs <paramref name="lead"/> whenever this process is the leader; its token is cancelled the moment
    /// leadership is lost. Returns when <paramref name="stoppingToken"/> is cancelled, giving leadership up at once.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var renewedAt = await AcquireAsync(stoppingToken);
                using var leading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                _isLeader = true;
                LogLeading(Identity, Lease);
                var work = LeadAsync(lead, leading.Token);
                try
                {
                    await KeepAsync(renewedAt, stoppingToken);
                    LogLost(Lease);
                }
                finally
                {
                    _isLeader = false;
                    await leading.CancelAsync();
                    await work;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }

        await ReleaseAsync();
    }

    private static async Task LeadAsync(Func<CancellationToken, Task> lead, CancellationToken leading)
    {
        // Off the election's own loop, which must go on renewing while the work runs.
        await Task.Yield();
        try
        {
            await lead(leading);
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
            // Leadership lost or stopping: the work stops here.
        }
    }

    /// <summary>Tries to take the Lease every retry period until this process holds it; returns when the winning attempt began.</summary>
    private async Task<long> AcquireAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            var began = _clock.GetTimestamp();
            if (await TryAcquireOrRenewAsync(RenewDeadline, stoppingToken) == Attempt.Holds)
            {
                return began;
            }

            // A little jitter, so that candidates that started together do not keep asking in the same instant.
            await Task.Delay(RetryPeriod * (1 + (Random.Shared.NextDouble() / 5)), _clock, stoppingToken);
        }
    }

    /// <summary>
    /// Renews the Lease every retry period; returns when leadership is lost: another process holds the Lease, or no
    /// renewal has succeeded for the renew deadline since <paramref name="renewedAt"/>.
    /// </summary>
    private async Task KeepAsync(long renewedAt, CancellationToken stoppingToken)
    {
        var wait = RetryPeriod;
        while (true)
        {
            await Task.Delay(wait, _clock, stoppingToken);
            var left = RenewDeadline - _clock.GetElapsedTime(renewedAt);
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            var began = _clock.GetTimestamp();
            switch (await TryAcquireOrRenewAsync(left, stoppingToken))
            {
                case Attempt.Holds:
                    renewedAt = began;
                    break;
                case Attempt.HeldByAnother:
                    return;
            }

            // After a failure, the next try comes sooner if the deadline does, so that it is checked on time.
            var untilDeadline = RenewDeadline - _clock.GetElapsedTime(renewedAt);
            wait = untilDeadline < RetryPeriod ? TimeSpan.FromTicks(Math.Max(0, untilDeadline.Ticks)) : RetryPeriod;
        }
    }

    /// <summary>One attempt, bounded by <paramref name="timeout"/>: takes the Lease if it is free or expired, renews it if this process holds it.</summary>
    private async Task<Attempt> TryAcquireOrRenewAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        using var deadline = new CancellationTokenSource(timeout, _clock);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, deadline.Token);
        var cancellationToken = bounded.Token;
        try
        {
            var now = _clock.GetUtcNow().UtcDateTime;
            var lease = await ReadAsync(cancellationToken);
            if (lease is null)
            {
                Observe(await kubernetes.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
                {
                    Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = namespaceName },
                    Spec = new V1LeaseSpec
                    {
                        HolderIdentity = Identity, LeaseDurationSeconds = LeaseSeconds, AcquireTime = now, RenewTime = now, LeaseTransitions = 0,
                    },
                }, namespaceName, cancellationToken: cancellationToken));
                return Attempt.Holds;
            }

            Observe(lease);
            var spec = lease.Spec ??= new V1LeaseSpec();
            var holder = spec.HolderIdentity;
            var duration = TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? LeaseSeconds);
            if (!string.IsNullOrEmpty(holder) && holder != Identity && _clock.GetElapsedTime(_observed.At) < duration)
            {
                return Attempt.HeldByAnother;
            }

            if (holder != Identity)
            {
                spec.AcquireTime = now;
                spec.LeaseTransitions = (spec.LeaseTransitions ?? 0) + 1;
            }

            spec.HolderIdentity = Identity;
            spec.LeaseDurationSeconds = LeaseSeconds;
            spec.RenewTime = now;
            // The read's resourceVersion goes with the write: if anyone wrote the Lease meanwhile, this write is refused.
            Observe(await kubernetes.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, name, namespaceName, cancellationToken: cancellationToken));
            return Attempt.Holds;
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Another candidate wrote the Lease first: the next attempt reads who.
            return Attempt.Failed;
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            LogElectionError(Lease, ex is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0.###} s" : ex.Message);
            return Attempt.Failed;
        }
    }

    private async Task<V1Lease?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await kubernetes.CoordinationV1.ReadNamespacedLeaseAsync(name, namespaceName, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Notes when the Lease was seen to change: its holder's time runs from then.</summary>
    private void Observe(V1Lease lease)
    {
        if (lease.Metadata?.ResourceVersion is not { } version || version != _observed.Version)
        {
            _observed = (lease.Metadata?.ResourceVersion, _clock.GetTimestamp());
        }
    }

    private int LeaseSeconds => (int)Math.Ceiling(ttl.TotalSeconds);

    /// <summary>Gives the Lease up if this process holds it, as client-go's elector does on cancel: the next candidate need not wait for it to expire.</summary>
    private async Task ReleaseAsync()
    {
        try
        {
            var lease = await kubernetes.CoordinationV1.ReadNamespacedLeaseAsync(name, namespaceName);
            if (lease.Spec?.HolderIdentity != Identity)
            {
                return;
            }

            // Empty, not null: a Lease without holder is one to take at once.
            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = _clock.GetUtcNow().UtcDateTime;
            await kubernetes.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, name, namespaceName);
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            // Another candidate took it meanwhile, or the API is gone: it expires on its own.
            LogReleaseFailed(Lease, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} leads (Lease {Lease}).")]
    private partial void LogLeading(string identity, string lease);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the leadership Lease {Lease}; campaigning again.")]
    private partial void LogLost(string lease);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The leader election on Lease {Lease} failed a step: {Reason}")]
    private partial void LogElectionError(string lease, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not give up the Lease {Lease}: {Reason}")]
    private partial void LogReleaseFailed(string lease, string reason);
}
