using System.Collections.Concurrent;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.ObjectStore.Cluster;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Fluid.Aspire.Controller.ObjectStores;

/// <summary>
/// What the control plane knows of the object stores: the live instances and their memory, and the persisted
/// objects with their names and copies, followed from etcd; and calls into an instance (stats, delete) through its
/// RPC endpoint, presenting the cluster's token. The scheduler reads where a step's inputs are from here.
/// </summary>
public sealed class ObjectStoreView : BackgroundService, IHealthCheck
{
    private static readonly TimeSpan StatsInterval = TimeSpan.FromSeconds(5);

    /// <summary>Objects deleted per call into an instance: a dataset of any size goes, in calls of bounded length.</summary>
    private const int DeletionBatch = 1000;

    private readonly EtcdPrefixWatcher<CatalogEntry> _watcher;
    private readonly ILogger<ObjectStoreView> _logger;
    private readonly ObjectStoreChannels _channels;
    private readonly ConcurrentDictionary<int, StoreStats> _stats = new();
    private readonly ObjectStoreKeys _keys;

    public ObjectStoreView(EtcdConnection etcd, IConfiguration configuration, ILogger<ObjectStoreView> logger)
    {
        _logger = logger;
        _channels = new ObjectStoreChannels(
            ObjectStoreToken.FromSettings(configuration[ObjectStoreToken.FileSetting], configuration[ObjectStoreToken.TextSetting]));
        _keys = new ObjectStoreKeys(etcd.Prefix);
        _watcher = new EtcdPrefixWatcher<CatalogEntry>(etcd, _keys.Root, (key, value) => CatalogEntry.Decode(_keys, key, value), logger);
        _watcher.Changed += OnChanged;
    }

    /// <summary>Raised when a persisted object gets a name (for OnEvent triggers), with the name.</summary>
    public event Action<string>? NamePut;

    /// <summary>Raised when instances come or go, or their memory figures change.</summary>
    public event Action? InstancesChanged;

    public Task Synced => _watcher.FirstSync;

    public IReadOnlyList<InstanceRecord> Instances => [.. _watcher.Snapshot().Values.OfType<InstanceEntry>().Select(e => e.Record)];

    /// <summary>The memory figures of an instance, refreshed every few seconds; null until first read.</summary>
    public StoreStats? StatsOf(int instance) => _stats.GetValueOrDefault(instance);

    /// <summary>A persisted object by name: its metadata and the nodes that hold a copy.</summary>
    public (ObjectMeta Meta, IReadOnlyList<string> Nodes)? Find(string name)
    {
        var entries = _watcher.Snapshot().Values;
        var id = entries.OfType<NameKey>().FirstOrDefault(n => n.Name == name)?.Id;
        var meta = id is null ? null : entries.OfType<ObjectEntry>().FirstOrDefault(o => o.Meta.Id == id)?.Meta;
        if (meta is null)
        {
            return null;
        }

        var instances = entries.OfType<InstanceEntry>().ToDictionary(i => i.Record.Instance, i => i.Record.Node);
        var holders = entries.OfType<ReplicaKey>().Where(r => r.Id == meta.Id).Select(r => r.Instance).Prepend(meta.Instance);
        return (meta, holders.Where(instances.ContainsKey).Select(i => instances[i]).Distinct().ToArray());
    }

    /// <summary>
    /// Deletes, on every instance, the objects labelled <paramref name="label"/>=<paramref name="value"/>, a batch
    /// per call until none is left; returns how many.
    /// </summary>
    public async Task<int> DeleteLabelledAsync(string label, string value, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var instance in Instances)
        {
            var client = _channels.ClientFor(instance);
            var request = new DeleteLabelledRequest { Label = label, Value = value, Limit = DeletionBatch };
            DeleteLabelledReply reply;
            do
            {
                reply = await client.DeleteLabelledAsync(request, cancellationToken: cancellationToken);
                deleted += reply.Deleted;
            }
            while (reply.More);
        }

        return deleted;
    }

    /// <summary>
    /// Reserves <paramref name="bytes"/> of an instance's memory for the objects of <paramref name="dataset"/> and caps
    /// them at it (0 releases it); answers what the dataset's objects use there. Refused (RESOURCE_EXHAUSTED, with the
    /// reason) when it does not fit.
    /// </summary>
    public async Task<ReservationReply> SetReservationAsync(InstanceRecord instance, string dataset, long bytes, CancellationToken cancellationToken) =>
        await _channels.ClientFor(instance).SetReservationAsync(new ReservationRequest { Dataset = dataset, Bytes = bytes },
            deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_watcher.IsSynced
            ? HealthCheckResult.Healthy($"following the object stores at revision {_watcher.Revision}")
            : HealthCheckResult.Unhealthy("the object stores' keys are not loaded from etcd"));

    public override void Dispose()
    {
        _channels.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watching = _watcher.RunAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            await RefreshStatsAsync(stoppingToken);
            await Task.Delay(StatsInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        await watching;
    }

    private async Task RefreshStatsAsync(CancellationToken cancellationToken)
    {
        var changed = false;
        foreach (var instance in Instances)
        {
            try
            {
                var client = _channels.ClientFor(instance);
                var reply = await client.StatsAsync(new StatsRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                var stats = System.Text.Json.JsonSerializer.Deserialize<StoreStats>(reply.StatsJson, ObjectStoreJson.Options)!;
                var previous = _stats.GetValueOrDefault(instance.Instance);
                _stats[instance.Instance] = stats;
                changed |= previous is null || previous.Used != stats.Used || previous.Capacity != stats.Capacity;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unauthenticated)
            {
                // Not a passing failure: the controller and the object stores were given different tokens.
                _logger.LogWarning("Instance {Instance} refused the controller: {Reason}", instance.Instance, ex.Status.Detail);
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                _logger.LogDebug("Reading the memory of instance {Instance} failed: {Reason}", instance.Instance, ex.Status.Detail);
            }
        }

        if (changed)
        {
            InstancesChanged?.Invoke();
        }
    }

    private void OnChanged(PrefixChange<CatalogEntry> change)
    {
        switch (change.Current ?? change.Previous)
        {
            case InstanceEntry entry:
                if (change.Kind != PrefixChangeKind.Added)
                {
                    ForgetGoneInstances(entry.Record.Instance);
                }

                InstancesChanged?.Invoke();
                break;
            case NameKey name when change.Kind == PrefixChangeKind.Added:
                NamePut?.Invoke(name.Name);
                break;
        }
    }

    /// <summary>Closes the channels, and drops the memory figures, of instances no longer registered.</summary>
    private void ForgetGoneInstances(int gone)
    {
        var live = Instances.Select(i => (i.Instance, i.RpcEndpoint)).ToHashSet();
        _channels.Retain((instance, endpoint) => live.Contains((instance, endpoint)));
        if (!live.Any(i => i.Instance == gone))
        {
            _stats.TryRemove(gone, out _);
        }
    }
}
