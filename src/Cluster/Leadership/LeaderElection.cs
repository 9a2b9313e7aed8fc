using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cluster.Leadership;

/// <summary>
/// One leader among several processes, through a <c>coordination.k8s.io/v1</c> Lease on the Kubernetes API, with
/// KubernetesClient's leader elector: whoever holds the Lease leads while it renews it. A leader that cannot renew for
/// two thirds of the lease's duration stops acting, before anyone else can take the Lease over, so that two never act
/// at once; one that stops gives the Lease up, so that another takes over at once.
/// </summary>
public sealed partial class LeaderElection(k8s.Kubernetes kubernetes, string namespaceName, string name, TimeSpan ttl, ILogger logger)
{
    private volatile bool _isLeader;

    /// <summary>Who this process is in the election: host, process id and a random part.</summary>
    public string Identity { get; } = $"{Environment.MachineName}_{Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The Lease, <c>namespace/name</c>.</summary>
    public string Lease => $"{namespaceName}/{name}";

    public bool IsLeader => _isLeader;

    /// <summary>
    /// Runs <paramref name="lead"/> whenever this process is the leader; its token is cancelled the moment
    /// leadership is lost. Returns when <paramref name="stoppingToken"/> is cancelled, giving leadership up at once.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            using var elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(kubernetes, namespaceName, name, Identity))
            {
                LeaseDuration = ttl,
                RenewDeadline = ttl * 2 / 3,
                RetryPeriod = ttl / 6,
            });
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var work = Task.CompletedTask;
            elector.OnStartedLeading += () =>
            {
                _isLeader = true;
                LogLeading(Identity, Lease);
                work = LeadAsync(lead, leading.Token);
            };
            elector.OnStoppedLeading += () =>
            {
                _isLeader = false;
                leading.Cancel();
            };
            elector.OnError += exception => LogElectionError(Lease, exception.Message);
            try
            {
                await elector.RunUntilLeadershipLostAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping.
            }
            finally
            {
                _isLeader = false;
                await leading.CancelAsync();
                await work;
            }

            if (!stoppingToken.IsCancellationRequested)
            {
                LogLost(Lease);
            }
        }

        await ReleaseAsync();
    }

    private static async Task LeadAsync(Func<CancellationToken, Task> lead, CancellationToken leading)
    {
        // Off the elector's own loop, which must go on renewing while the work runs.
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

            // Empty, not null: KubernetesClient's elector takes a Lease without holder for one to create, not to take.
            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = DateTime.UtcNow;
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
