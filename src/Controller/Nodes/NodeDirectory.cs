using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Cluster.Membership;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Fluid.Aspire.Controller.Nodes;

/// <summary>
/// The control plane's live view of the cluster's nodes: the Node objects (their labels) and the daemons' member
/// Leases, each kept by an informer. A daemon leaves the view when it deletes its lease on stop, or when the lease
/// expires unrenewed (a crash), at which moment a timer re-reads the view.
/// </summary>
/// <remarks>
/// As client-go's leader election does, a lease expires a lease duration after this process last saw it change, on
/// this process's monotonic clock: the renew times other machines write are never compared with this one's clock, so
/// clock skew (or a test's fake clock) cannot make a live node look dead.
/// </remarks>
public sealed class NodeDirectory : BackgroundService, IHealthCheck
{
    private readonly Informer<V1Node> _nodes;
    private readonly Informer<V1Lease> _leases;
    private readonly Dictionary<string, (string? Version, long SeenAt)> _seen = new(StringComparer.Ordinal);
    private readonly ILogger<NodeDirectory> _logger;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly TaskCompletionSource _viewed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyList<ClusterNode> _view = [];

    public NodeDirectory(k8s.Kubernetes kubernetes, string namespaceName, ILogger<NodeDirectory> logger)
    {
        _logger = logger;
        _nodes = new Informer<V1Node>(new KubernetesListWatch<V1Node, V1NodeList>(
            "nodes",
            ct => kubernetes.CoreV1.ListNodeAsync(cancellationToken: ct),
            (version, onError, ct) => kubernetes.CoreV1.WatchListNodeAsync(
                allowWatchBookmarks: true, resourceVersion: version, onError: onError, cancellationToken: ct)), logger);
        _leases = new Informer<V1Lease>(new KubernetesListWatch<V1Lease, V1LeaseList>(
            "leases",
            ct => kubernetes.CoordinationV1.ListNamespacedLeaseAsync(namespaceName, labelSelector: MemberLease.Selector, cancellationToken: ct),
            (version, onError, ct) => kubernetes.CoordinationV1.WatchListNamespacedLeaseAsync(
                namespaceName, allowWatchBookmarks: true, labelSelector: MemberLease.Selector, resourceVersion: version, onError: onError, cancellationToken: ct)), logger);
        _nodes.Changed += (_, _) => _wake.Release();
        _leases.Changed += OnLease;
    }

    /// <summary>Raised after every change of a node's labels or members, from the directory's loop.</summary>
    public event Action? Changed;

    /// <summary>Completes once Nodes and Leases have been listed and the first view built from them.</summary>
    public Task Synced => _viewed.Task;

    /// <summary>The nodes, by name, each with its live members.</summary>
    public IReadOnlyList<ClusterNode> Nodes
    {
        get
        {
            lock (_gate)
            {
                return _view;
            }
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_nodes.IsSynced && _leases.IsSynced
            ? HealthCheckResult.Healthy($"following {Nodes.Count} node(s)")
            : HealthCheckResult.Unhealthy("Nodes and member Leases are not loaded from the Kubernetes API"));

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_nodes.RunAsync(stoppingToken), _leases.RunAsync(stoppingToken), FollowAsync(stoppingToken));

    /// <summary>Rebuilds the view after each change, and when the next live lease expires.</summary>
    private async Task FollowAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(_nodes.Synced, _leases.Synced).WaitAsync(stoppingToken);
            while (true)
            {
                var (members, untilExpiry) = LiveMembers();
                var view = ClusterNode.From(_nodes.List(), members);
                IReadOnlyList<ClusterNode> previous;
                lock (_gate)
                {
                    previous = _view;
                    _view = view;
                }

                _viewed.TrySetResult();
                if (Log(previous, view))
                {
                    Changed?.Invoke();
                }

                await _wake.WaitAsync(untilExpiry == Timeout.InfiniteTimeSpan ? untilExpiry : untilExpiry + TimeSpan.FromMilliseconds(10), stoppingToken);
                // One rebuild for a burst of changes.
                while (_wake.CurrentCount > 0)
                {
                    await _wake.WaitAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void OnLease(V1Lease? before, V1Lease? after)
    {
        lock (_gate)
        {
            var key = (after ?? before)!.Metadata.Name;
            if (after is null)
            {
                _seen.Remove(key);
            }
            else if (!_seen.TryGetValue(key, out var seen) || seen.Version != after.Metadata.ResourceVersion)
            {
                _seen[key] = (after.Metadata.ResourceVersion, TimeProvider.System.GetTimestamp());
            }
        }

        _wake.Release();
    }

    /// <summary>The members whose lease changed less than its duration ago, and the time until the first of them expires.</summary>
    private (List<NodeMember> Members, TimeSpan UntilExpiry) LiveMembers()
    {
        var members = new List<NodeMember>();
        var untilExpiry = Timeout.InfiniteTimeSpan;
        lock (_gate)
        {
            foreach (var lease in _leases.List())
            {
                if (MemberLease.Read(lease) is not { } member || !_seen.TryGetValue(lease.Metadata.Name, out var seen))
                {
                    continue;
                }

                var left = TimeSpan.FromSeconds(lease.Spec.LeaseDurationSeconds ?? 0) - TimeProvider.System.GetElapsedTime(seen.SeenAt);
                if (left > TimeSpan.Zero)
                {
                    members.Add(member);
                    untilExpiry = untilExpiry == Timeout.InfiniteTimeSpan || left < untilExpiry ? left : untilExpiry;
                }
            }
        }

        return (members, untilExpiry);
    }

    /// <summary>Logs who joined and left; true when the view changed.</summary>
    private bool Log(IReadOnlyList<ClusterNode> before, IReadOnlyList<ClusterNode> after)
    {
        var old = before.SelectMany(n => n.Members).ToDictionary(m => (m.Node, m.Component));
        var current = after.SelectMany(n => n.Members).ToDictionary(m => (m.Node, m.Component));
        foreach (var (key, member) in current)
        {
            if (!old.TryGetValue(key, out var was))
            {
                _logger.LogInformation("Node {Node}: {Component} joined (pid {Pid} on {Host}).", member.Node, member.Component, member.ProcessId, member.Host);
            }
            else if (was.ProcessId != member.ProcessId || was.StartedAt != member.StartedAt)
            {
                _logger.LogInformation("Node {Node}: {Component} registered again (pid {Pid}).", member.Node, member.Component, member.ProcessId);
            }
        }

        foreach (var key in old.Keys.Where(k => !current.ContainsKey(k)))
        {
            _logger.LogWarning("Node {Node}: {Component} left (stopped, or its lease expired).", key.Node, key.Component);
        }

        return before.Count != after.Count || before.Zip(after).Any(p => !Same(p.First, p.Second));
    }

    private static bool Same(ClusterNode a, ClusterNode b) =>
        a.Name == b.Name
        && a.Labels.SequenceEqual(b.Labels)
        && a.Members.Select(m => (m.Component, m.ProcessId, m.StartedAt)).SequenceEqual(b.Members.Select(m => (m.Component, m.ProcessId, m.StartedAt)))
        && Amounts(a).SequenceEqual(Amounts(b));

    /// <summary>A node's allocatable resources, comparable: steps waiting for room wake when it changes.</summary>
    private static IEnumerable<(string, string)> Amounts(ClusterNode node) =>
        (node.Allocatable ?? new Dictionary<string, ResourceQuantity>()).OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => (q.Key, q.Value.ToString()));
}
