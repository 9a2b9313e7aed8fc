using System.Text.Json;
using Fluid.Aspire.Cluster.Etcd;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cluster.Membership;

/// <summary>
/// The control plane's live view of the cluster's nodes, kept from a watch of the membership keys. A member that
/// stops, or whose lease expires, leaves the view as soon as etcd deletes its key.
/// </summary>
public sealed class NodeDirectory : BackgroundService, IHealthCheck
{
    private readonly EtcdPrefixWatcher<NodeMember> _watcher;
    private readonly ILogger<NodeDirectory> _logger;

    public NodeDirectory(EtcdConnection etcd, ILogger<NodeDirectory> logger)
    {
        _logger = logger;
        _watcher = new EtcdPrefixWatcher<NodeMember>(
            etcd,
            NodeKeys.AllNodes(etcd.Prefix),
            (_, value) => JsonSerializer.Deserialize<NodeMember>(value.Span, ClusterJson.Options)
                ?? throw new FormatException("the value is JSON null"),
            logger);
        _watcher.Changed += OnChanged;
    }

    /// <summary>Raised after every change of a node's members, from the watch loop.</summary>
    public event Action? Changed;

    /// <summary>Completes once the view has been loaded from etcd.</summary>
    public Task Synced => _watcher.FirstSync;

    /// <summary>The nodes with at least one live member, by name.</summary>
    public IReadOnlyList<ClusterNode> Nodes => ClusterNode.FromMembers(_watcher.Snapshot().Values);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_watcher.IsSynced
            ? HealthCheckResult.Healthy($"following node membership at revision {_watcher.Revision}")
            : HealthCheckResult.Unhealthy("node membership is not loaded from etcd"));

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _watcher.RunAsync(stoppingToken);

    private void OnChanged(PrefixChange<NodeMember> change)
    {
        Log(change);
        Changed?.Invoke();
    }

    private void Log(PrefixChange<NodeMember> change)
    {
        switch (change.Kind)
        {
            case PrefixChangeKind.Added:
                _logger.LogInformation("Node {Node}: {Component} joined (pid {Pid} on {Host}).",
                    change.Current!.Node, change.Current.Component, change.Current.ProcessId, change.Current.Host);
                break;
            case PrefixChangeKind.Deleted:
                _logger.LogWarning("Node {Node}: {Component} left (stopped, or its lease expired).",
                    change.Previous!.Node, change.Previous.Component);
                break;
            case PrefixChangeKind.Modified:
                _logger.LogInformation("Node {Node}: {Component} registered again (pid {Pid}).",
                    change.Current!.Node, change.Current.Component, change.Current.ProcessId);
                break;
        }
    }
}
