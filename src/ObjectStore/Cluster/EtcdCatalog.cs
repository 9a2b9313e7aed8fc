using Fluid.Aspire.Cluster.Resilience;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Etcdserverpb;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.ObjectStore.Daemon;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Objects;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Fluid.Aspire.ObjectStore.Cluster;

/// <summary>
/// The catalog kept in etcd. The instance claims a number under its lease and registers itself; one watch of the
/// object store's keys keeps a local cache of instances, persisted objects, names and copies. What this instance
/// wrote is remembered, so that after a lost lease (etcd down longer than the TTL) it is written again: under the
/// same number, which every id it made carries, and without taking back a name claimed by another meanwhile.
/// </summary>
internal sealed class EtcdCatalog : BackgroundService, IObjectCatalog, IHealthCheck
{
    /// <summary>etcd refuses transactions of more than 128 operations by default.</summary>
    private const int MaxOperationsPerTransaction = 100;

    private readonly EtcdConnection _etcd;
    private readonly ObjectStoreKeys _keys;
    private readonly DaemonSettings _settings;
    private readonly DaemonEndpoints _endpoints;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<EtcdCatalog> _logger;
    private readonly EtcdPrefixWatcher<CatalogEntry> _watcher;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, InstanceRecord> _instances = [];
    private readonly Dictionary<ObjectId, ObjectMeta> _objects = [];
    private readonly Dictionary<string, ObjectId> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<ObjectId, SortedSet<string>> _namesById = [];
    private readonly Dictionary<ObjectId, SortedSet<int>> _replicas = [];
    private readonly Dictionary<ObjectId, ObjectMeta> _ownObjects = [];
    private readonly Dictionary<string, ObjectId> _ownNames = new(StringComparer.Ordinal);
    private readonly HashSet<ObjectId> _ownReplicas = [];

    /// <summary>Persists given up without an answer, with their names: if etcd committed one after all, it is withdrawn.</summary>
    private readonly Dictionary<ObjectId, string[]> _abandoned = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ResiliencePipeline _commit;
    private CancellationToken _stopping;
    private long _appliedRevision;

    /// <summary>The lease while registered; 0 while registering again.</summary>
    private long _lease;

    /// <summary>The lease of the last registration, which may outlive an outage of etcd.</summary>
    private long _lastLease;
    private int _instance = -1;
    private string _state = "starting";

    /// <summary>Why this instance stays out of the cluster, when its number was taken while it was away.</summary>
    private string? _refusal;

    public EtcdCatalog(
        EtcdConnection etcd,
        DaemonSettings settings,
        DaemonEndpoints endpoints,
        IHostApplicationLifetime lifetime,
        ILogger<EtcdCatalog> logger)
    {
        _etcd = etcd;
        _keys = new ObjectStoreKeys(etcd.Prefix);
        _settings = settings;
        _endpoints = endpoints;
        _lifetime = lifetime;
        _logger = logger;
        _watcher = new EtcdPrefixWatcher<CatalogEntry>(etcd, _keys.Root, (key, value) => CatalogEntry.Decode(_keys, key, value), logger);
        _watcher.Changed += OnChanged;

        // A persist asks again while its answer is missing (a broken connection, a registration under way), for as
        // long as the lease would outlive the silence: its transaction tells a repeat from a first write.
        _commit = new ResiliencePipelineBuilder()
            .AddTimeout(TimeSpan.FromSeconds(settings.LeaseTtlSeconds))
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex =>
                    TransientRetry.IsTransient(ex) || (ex is ObjectStoreException { Code: ObjectStoreErrorCode.Unavailable } && _refusal is null)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(1),
                OnRetry = args =>
                {
                    logger.LogWarning("A persist got no answer from etcd ({Reason}); asking again.", args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public event Action<ObjectId>? ObjectDeleted;

    public int Instance => _instance >= 0
        ? _instance
        : throw new InvalidOperationException("The instance has not registered in etcd yet.");

    public bool IsClustered => true;

    /// <summary>Completes once the instance is registered and the cache loaded.</summary>
    public Task Ready => _ready.Task;

    public IReadOnlyCollection<ObjectMeta> PersistedObjects
    {
        get
        {
            lock (_gate)
            {
                return [.. _objects.Values];
            }
        }
    }

    public bool TryGetObject(ObjectId id, [NotNullWhen(true)] out ObjectMeta? meta)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(id, out meta);
        }
    }

    public bool TryResolveName(string name, out ObjectId id)
    {
        lock (_gate)
        {
            return _names.TryGetValue(name, out id);
        }
    }

    public IReadOnlyList<string> NamesOf(ObjectId id)
    {
        lock (_gate)
        {
            return _namesById.TryGetValue(id, out var names) ? [.. names] : [];
        }
    }

    public InstanceRecord? FindInstance(int instance)
    {
        lock (_gate)
        {
            return _instances.GetValueOrDefault(instance);
        }
    }

    public IReadOnlyList<int> LocationsOf(ObjectId id)
    {
        lock (_gate)
        {
            if (!_objects.TryGetValue(id, out var meta))
            {
                return [];
            }

            var locations = new SortedSet<int> { meta.Instance };
            if (_replicas.TryGetValue(id, out var copies))
            {
                locations.UnionWith(copies);
            }

            return [.. locations];
        }
    }

    public async Task<ObjectMeta?> FindAsync(ObjectRef target, CancellationToken cancellationToken)
    {
        // Another instance now makes ids with this one's number: a copy of its objects could clash with ours.
        if (_refusal is { } refusal)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable, refusal);
        }

        var id = target.Id;
        if (target.Name is { } name)
        {
            if (!TryResolveName(name, out id))
            {
                var named = await GetAsync<NameEntry>(_keys.ForName(name), cancellationToken);
                if (named is null)
                {
                    return null;
                }

                id = named.Id;
            }
        }

        return TryGetObject(id, out var meta) ? meta : await GetAsync<ObjectMeta>(_keys.ForObject(id), cancellationToken);
    }

    public async Task PersistAsync(ObjectMeta meta, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _abandoned.Remove(meta.Id);
        }

        TxnResponse response;
        try
        {
            response = await _commit.ExecuteAsync(async attempt =>
            {
                var lease = await CurrentLeaseAsync(attempt);
                var request = new TxnRequest
                {
                    // Only this instance writes its ids' keys: finding the object's key means an earlier try committed.
                    Failure = { Range(_keys.ForObject(meta.Id)) },
                };
                request.Success.Add(Put(_keys.ForObject(meta.Id), meta, lease));
                foreach (var name in names)
                {
                    request.Compare.Add(Absent(_keys.ForName(name)));
                    request.Success.Add(Put(_keys.ForName(name), new NameEntry(meta.Id), lease));
                }

                return await _etcd.KeyValue.TxnAsync(request, cancellationToken: attempt);
            }, cancellationToken);
        }
        catch (Exception ex) when (TransientRetry.IsTransient(ex)
            || ex is TimeoutRejectedException or OperationCanceledException or ObjectStoreException { Code: ObjectStoreErrorCode.Unavailable })
        {
            Abandon(meta.Id, names);
            if (ex is OperationCanceledException or ObjectStoreException)
            {
                throw;
            }

            throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable,
                $"etcd at {string.Join(", ", _etcd.ConnectionString.Endpoints)} did not answer the persist of {meta.Id} ({ex.Message}); " +
                "try again once it is reachable.", ex);
        }

        if (!response.Succeeded)
        {
            if (response.Responses[0].ResponseRange.Kvs.Count == 0)
            {
                throw await NameTakenAsync(names, cancellationToken);
            }

            _logger.LogInformation("The answer to persisting {Object} was lost; etcd has it committed.", meta.Id);
        }

        lock (_gate)
        {
            _ownObjects[meta.Id] = meta;
            foreach (var name in names)
            {
                _ownNames[name] = meta.Id;
            }

            WriteThrough(response.Header.Revision, () =>
            {
                _objects[meta.Id] = meta;
                foreach (var name in names)
                {
                    AddName(name, meta.Id);
                }
            });
        }
    }

    public async Task PutNameAsync(string name, ObjectId id, CancellationToken cancellationToken)
    {
        var meta = await FindAsync(ObjectRef.ById(id), cancellationToken)
            ?? throw new ObjectStoreException(ObjectStoreErrorCode.ObjectNotFound, $"No persisted object {id} to name.");

        // The name lives under the lease of the object's owner, so that it goes when the object goes.
        var lease = meta.Instance == _instance ? await CurrentLeaseAsync(cancellationToken) : FindInstance(meta.Instance)?.LeaseId ?? 0;
        var request = new TxnRequest
        {
            Compare = { Absent(_keys.ForName(name)), Present(_keys.ForObject(id)) },
            Success = { Put(_keys.ForName(name), new NameEntry(id), lease) },
        };
        var response = await CallAsync(() => _etcd.KeyValue.TxnAsync(request, cancellationToken: cancellationToken));
        if (!response.Succeeded)
        {
            throw await NameTakenAsync([name], cancellationToken);
        }

        lock (_gate)
        {
            if (meta.Instance == _instance)
            {
                _ownNames[name] = id;
            }

            WriteThrough(response.Header.Revision, () => AddName(name, id));
        }
    }

    public async Task DropNameAsync(string name, CancellationToken cancellationToken)
    {
        var response = await CallAsync(() => _etcd.KeyValue.DeleteRangeAsync(
            new DeleteRangeRequest { Key = EtcdKeys.ToBytes(_keys.ForName(name)) }, cancellationToken: cancellationToken));
        if (response.Deleted == 0)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.NameNotFound, $"No object is named '{name}'.");
        }

        lock (_gate)
        {
            _ownNames.Remove(name);
            WriteThrough(response.Header.Revision, () => RemoveName(name));
        }
    }

    public async Task DeleteAsync(ObjectId id, CancellationToken cancellationToken)
    {
        var request = new TxnRequest
        {
            Success =
            {
                Delete(_keys.ForObject(id)),
                new RequestOp
                {
                    RequestDeleteRange = new DeleteRangeRequest
                    {
                        Key = EtcdKeys.ToBytes(_keys.ReplicasOf(id)),
                        RangeEnd = EtcdKeys.PrefixRangeEnd(_keys.ReplicasOf(id)),
                    },
                },
            },
        };
        foreach (var name in NamesOf(id))
        {
            request.Success.Add(Delete(_keys.ForName(name)));
        }

        var response = await CallAsync(() => _etcd.KeyValue.TxnAsync(request, cancellationToken: cancellationToken));
        lock (_gate)
        {
            _ownObjects.Remove(id);
            _ownReplicas.Remove(id);
            foreach (var name in _ownNames.Where(n => n.Value == id).Select(n => n.Key).ToArray())
            {
                _ownNames.Remove(name);
            }

            WriteThrough(response.Header.Revision, () => RemoveObject(id));
        }
    }

    public async Task AddReplicaAsync(ObjectId id, CancellationToken cancellationToken)
    {
        var lease = await CurrentLeaseAsync(cancellationToken);
        var key = _keys.ForReplica(id, _instance);
        var response = await CallAsync(() => _etcd.KeyValue.PutAsync(
            new PutRequest { Key = EtcdKeys.ToBytes(key), Value = ByteString.Empty, Lease = lease }, cancellationToken: cancellationToken));
        lock (_gate)
        {
            _ownReplicas.Add(id);
            WriteThrough(response.Header.Revision, () => AddReplica(id, _instance));
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Interlocked.Read(ref _lease) != 0 && _watcher.IsSynced
            ? HealthCheckResult.Healthy($"instance {_instance}, catalog at revision {_watcher.Revision}")
            : HealthCheckResult.Unhealthy($"not registered in etcd: {_state}"));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_lastLease != 0)
        {
            await EtcdLeases.TryRevokeAsync(_etcd, _lastLease, _logger, $"object store instance {_instance}", cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        // Register once the endpoints are bound, so that a registered instance is one that can be called.
        await _lifetime.WhenStartedAsync(stoppingToken);
        var watching = _watcher.RunAsync(stoppingToken);
        var retry = TransientRetry.Forever(_logger, "Registering the object store instance");
        while (!stoppingToken.IsCancellationRequested)
        {
            long lease;
            try
            {
                lease = await retry.ExecuteAsync(RegisterAsync, stoppingToken);
            }
            catch (InstanceTakenException taken)
            {
                if (_refusal is null)
                {
                    _logger.LogError("{Refusal}", taken.Message);
                }

                _state = _refusal = taken.Message;
                await Task.Delay(TimeSpan.FromSeconds(_settings.LeaseTtlSeconds), stoppingToken);
                continue;
            }

            _refusal = null;
            await _watcher.FirstSync.WaitAsync(stoppingToken);
            _ready.TrySetResult();
            try
            {
                await EtcdLeases.KeepAliveAsync(_etcd, lease, TimeSpan.FromSeconds(_settings.LeaseTtlSeconds), stoppingToken);
                _state = "the lease expired";
                _logger.LogWarning("The lease of instance {Instance} expired (etcd unreachable for longer than {Ttl} s?); registering again.",
                    _instance, _settings.LeaseTtlSeconds);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is RpcException or IOException or OperationCanceledException)
            {
                _state = $"keep-alive failed: {ex.Message}";
                _logger.LogWarning("Keeping instance {Instance} alive failed ({Reason}); registering again.", _instance, ex.Message);
            }

            Interlocked.Exchange(ref _lease, 0);
        }

        await watching;
    }

    /// <summary>
    /// Registers, keeping one instance number for the life of the process: every id, object and copy made here
    /// carries it. A lease that outlived an outage is kept, with all its keys; otherwise the number is claimed again
    /// under a new lease and what this instance owns is written back.
    /// </summary>
    /// <exception cref="InstanceTakenException">Another instance took the number while this one was away.</exception>
    private async ValueTask<long> RegisterAsync(CancellationToken cancellationToken)
    {
        if (_lastLease != 0 && await LeaseAliveAsync(_lastLease))
        {
            Interlocked.Exchange(ref _lease, _lastLease);
            _state = "registered";
            _logger.LogInformation("Resumed as object store instance {Instance} of node {Node}: lease {Lease:x} outlived the outage.",
                _instance, _settings.NodeName, _lastLease);
            WithdrawCommittedAbandoned();
            return _lastLease;
        }

        var grant = await _etcd.Leases.LeaseGrantAsync(new LeaseGrantRequest { TTL = _settings.LeaseTtlSeconds }, cancellationToken: cancellationToken);
        try
        {
            _instance = await ClaimInstanceAsync(grant.ID, cancellationToken);
        }
        catch (InstanceTakenException)
        {
            await _etcd.Leases.LeaseRevokeAsync(new LeaseRevokeRequest { ID = grant.ID }, cancellationToken: cancellationToken);
            throw;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            throw LeaseLost(grant.ID, ex);
        }

        try
        {
            await RestoreOwnKeysAsync(grant.ID, cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            throw LeaseLost(grant.ID, ex);
        }

        lock (_gate)
        {
            // Their transactions named older leases, which expire unrenewed: etcd refuses them, or drops what they wrote.
            _abandoned.Clear();
        }

        _lastLease = grant.ID;
        Interlocked.Exchange(ref _lease, grant.ID);
        _state = "registered";
        _logger.LogInformation("Registered as object store instance {Instance} of node {Node} (lease {Lease:x}, ttl {Ttl} s).",
            _instance, _settings.NodeName, grant.ID, grant.TTL);
        return grant.ID;
    }

    /// <summary>
    /// A new lease that expired before the registration under it was done (a machine so loaded that its TTL passed):
    /// transient, so that registering starts over instead of ending the daemon.
    /// </summary>
    private static IOException LeaseLost(long lease, RpcException ex) =>
        new($"lease {lease:x} expired before the registration under it was done ({ex.Status.Detail})", ex);

    /// <summary>The number this process had, or at first the lowest free one.</summary>
    private async Task<int> ClaimInstanceAsync(long lease, CancellationToken cancellationToken)
    {
        if (_instance >= 0)
        {
            return await TryClaimAsync(_instance, lease, cancellationToken) is { } holder
                ? throw new InstanceTakenException(
                    $"Instance number {_instance} was taken by node {holder.Node} ({holder.Host}, pid {holder.ProcessId}) while this instance " +
                    "was cut off from etcd. Its objects and ids carry that number, so it will not come back under another: it stays out of " +
                    "the cluster, serving its local objects, until the number is free again. Restart it to join under a new number, without its objects.")
                : _instance;
        }

        var taken = await _etcd.KeyValue.RangeAsync(new RangeRequest
        {
            Key = EtcdKeys.ToBytes(_keys.Instances),
            RangeEnd = EtcdKeys.PrefixRangeEnd(_keys.Instances),
            KeysOnly = true,
        }, cancellationToken: cancellationToken);
        var used = taken.Kvs.Select(kv => EtcdKeys.FromBytes(kv.Key)[_keys.Instances.Length..]).ToHashSet(StringComparer.Ordinal);
        foreach (var candidate in Enumerable.Range(0, ObjectId.MaxInstance + 1))
        {
            if (!used.Contains(candidate.ToString(System.Globalization.CultureInfo.InvariantCulture))
                && await TryClaimAsync(candidate, lease, cancellationToken) is null)
            {
                return candidate;
            }
        }

        throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable,
            $"All {ObjectId.MaxInstance + 1} instance numbers are taken; a cluster can have at most that many object store instances.");
    }

    /// <returns>Null once the number is ours; otherwise the instance that holds it.</returns>
    private async Task<InstanceRecord?> TryClaimAsync(int instance, long lease, CancellationToken cancellationToken)
    {
        var key = _keys.ForInstance(instance);
        var record = _endpoints.Describe(instance, lease);
        var claim = await _etcd.KeyValue.TxnAsync(new TxnRequest
        {
            Compare = { Absent(key) },
            Success = { Put(key, record, lease) },
            Failure = { Range(key) },
        }, cancellationToken: cancellationToken);
        if (claim.Succeeded)
        {
            return null;
        }

        var held = claim.Responses[0].ResponseRange.Kvs[0];
        var holder = JsonSerializer.Deserialize<InstanceRecord>(held.Value.Span, ClusterJson.Options)!;
        if ((holder.Host, holder.ProcessId, holder.StartedAt) != (record.Host, record.ProcessId, record.StartedAt))
        {
            return holder;
        }

        // This process's own record, from an earlier try whose answer was lost: moved under the new lease.
        var takeover = await _etcd.KeyValue.TxnAsync(new TxnRequest
        {
            Compare = { Unchanged(held) },
            Success = { Put(key, record, lease) },
        }, cancellationToken: cancellationToken);
        return takeover.Succeeded ? null : holder;
    }

    /// <summary>Writes back what this instance owns, in as few transactions as etcd allows, so that an object comes back with its names.</summary>
    private async Task RestoreOwnKeysAsync(long lease, CancellationToken cancellationToken)
    {
        List<(RequestOp Operation, string? Name, ObjectId Id)> operations;
        lock (_gate)
        {
            operations =
            [
                // Ids carry this instance's number, so no other instance writes these keys.
                .. _ownObjects.Values.Select(meta => (Put(_keys.ForObject(meta.Id), meta, lease), (string?)null, meta.Id)),
                // A name is a claim another instance may have made while this one was away: written back only where absent.
                .. _ownNames.Select(name => (new RequestOp
                {
                    RequestTxn = new TxnRequest
                    {
                        Compare = { Absent(_keys.ForName(name.Key)) },
                        Success = { Put(_keys.ForName(name.Key), new NameEntry(name.Value), lease) },
                        Failure = { Range(_keys.ForName(name.Key)) },
                    },
                }, (string?)name.Key, name.Value)),
                // A copy is recorded again only while its object exists.
                .. _ownReplicas.Select(id => (new RequestOp
                {
                    RequestTxn = new TxnRequest
                    {
                        Compare = { Present(_keys.ForObject(id)) },
                        Success = { new RequestOp { RequestPut = new PutRequest { Key = EtcdKeys.ToBytes(_keys.ForReplica(id, _instance)), Lease = lease } } },
                    },
                }, (string?)null, id)),
            ];
        }

        foreach (var batch in operations.Chunk(MaxOperationsPerTransaction))
        {
            var response = await _etcd.KeyValue.TxnAsync(new TxnRequest { Success = { batch.Select(o => o.Operation) } }, cancellationToken: cancellationToken);
            for (var i = 0; i < batch.Length; i++)
            {
                if (batch[i].Name is { } name && response.Responses[i].ResponseTxn is { Succeeded: false } taken)
                {
                    await SettleNameAsync(name, batch[i].Id, taken.Responses[0].ResponseRange.Kvs[0], lease, cancellationToken);
                }
            }
        }

        if (operations.Count > 0)
        {
            _logger.LogInformation("Wrote {Count} key(s) of persisted objects, names and copies back as instance {Instance} under the new lease.",
                operations.Count, _instance);
        }
    }

    /// <summary>An own name found present when written back: ours already (moved under our lease), or lost to another object.</summary>
    private async Task SettleNameAsync(string name, ObjectId id, Mvccpb.KeyValue held, long lease, CancellationToken cancellationToken)
    {
        var holder = JsonSerializer.Deserialize<NameEntry>(held.Value.Span, ClusterJson.Options)!;
        if (holder.Id == id)
        {
            await _etcd.KeyValue.TxnAsync(new TxnRequest
            {
                Compare = { Unchanged(held) },
                Success = { Put(_keys.ForName(name), holder, lease) },
            }, cancellationToken: cancellationToken);
            return;
        }

        lock (_gate)
        {
            _ownNames.Remove(name);
        }

        _logger.LogWarning("The name '{Name}' was claimed by {Winner} while this instance was away from etcd; {Object} loses it and keeps its data under its id.",
            name, holder.Id, id);
    }

    private async Task<long> CurrentLeaseAsync(CancellationToken cancellationToken)
    {
        await _ready.Task.WaitAsync(cancellationToken);
        var lease = Interlocked.Read(ref _lease);
        return lease != 0
            ? lease
            : throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable,
                _refusal ?? $"This instance is not registered in etcd right now ({_state}); try again once etcd is reachable.");
    }

    private void OnChanged(PrefixChange<CatalogEntry> change)
    {
        ObjectId? deleted = null;
        ObjectId? abandoned = null;
        lock (_gate)
        {
            _appliedRevision = Math.Max(_appliedRevision, change.Revision);
            if (change.Kind == PrefixChangeKind.Deleted)
            {
                switch (change.Previous)
                {
                    case InstanceEntry instance:
                        _instances.Remove(instance.Record.Instance);
                        break;
                    case ObjectEntry gone:
                        RemoveObject(gone.Meta.Id);
                        // A withdrawn persist: the object never was persisted as far as this instance knows.
                        if (!_abandoned.Remove(gone.Meta.Id))
                        {
                            deleted = gone.Meta.Id;
                        }

                        break;
                    case NameKey name:
                        RemoveName(name.Name);
                        break;
                    case ReplicaKey replica when _replicas.TryGetValue(replica.Id, out var copies):
                        copies.Remove(replica.Instance);
                        break;
                }
            }
            else
            {
                switch (change.Current)
                {
                    case InstanceEntry instance:
                        _instances[instance.Record.Instance] = instance.Record;
                        break;
                    case ObjectEntry added:
                        _objects[added.Meta.Id] = added.Meta;
                        if (_abandoned.ContainsKey(added.Meta.Id))
                        {
                            abandoned = added.Meta.Id;
                        }

                        break;
                    case NameKey name:
                        AddName(name.Name, name.Id);
                        break;
                    case ReplicaKey replica:
                        AddReplica(replica.Id, replica.Instance);
                        break;
                }
            }
        }

        if (deleted is { } id)
        {
            _ = ReportDeletionAsync(id);
        }

        if (abandoned is { } committed)
        {
            _ = WithdrawAsync(committed);
        }
    }

    /// <summary>
    /// Gives up on a persist that got no answer. The caller reports it failed, so should etcd have committed it
    /// after all, its keys are withdrawn once seen, rather than left naming an object that is not persisted here.
    /// </summary>
    private void Abandon(ObjectId id, IReadOnlyCollection<string> names)
    {
        bool seen;
        lock (_gate)
        {
            _abandoned[id] = [.. names];
            seen = _objects.ContainsKey(id);
        }

        if (seen)
        {
            _ = WithdrawAsync(id);
        }
    }

    private void WithdrawCommittedAbandoned()
    {
        ObjectId[] seen;
        lock (_gate)
        {
            seen = [.. _abandoned.Keys.Where(_objects.ContainsKey)];
        }

        foreach (var id in seen)
        {
            _ = WithdrawAsync(id);
        }
    }

    /// <summary>Deletes an abandoned persist's object key, and its names that still name it.</summary>
    private async Task WithdrawAsync(ObjectId id)
    {
        var request = new TxnRequest { Success = { Delete(_keys.ForObject(id)) } };
        lock (_gate)
        {
            if (!_abandoned.TryGetValue(id, out var names))
            {
                return;
            }

            foreach (var name in names)
            {
                var key = _keys.ForName(name);
                request.Success.Add(new RequestOp { RequestTxn = new TxnRequest { Compare = { Names(key, id) }, Success = { Delete(key) } } });
            }
        }

        try
        {
            await TransientRetry.Forever(_logger, $"Withdrawing the abandoned persist of {id}")
                .ExecuteAsync(async token => await _etcd.KeyValue.TxnAsync(request, cancellationToken: token), _stopping);
            _logger.LogWarning("Withdrew {Object} from etcd: its persist was reported failed for want of an answer, yet etcd had committed it.", id);
        }
        catch (OperationCanceledException)
        {
            // The daemon is stopping; its lease goes, and the keys with it.
        }
    }

    /// <summary>
    /// An object's key vanished. For another instance's object that means it is gone; for one of ours it may only
    /// mean that our lease expired, in which case we write it back instead of dropping it.
    /// </summary>
    private async Task ReportDeletionAsync(ObjectId id)
    {
        bool own;
        lock (_gate)
        {
            own = _ownObjects.ContainsKey(id);
        }

        if (own && !await LeaseAliveAsync(Interlocked.Read(ref _lease)))
        {
            return;
        }

        lock (_gate)
        {
            _ownObjects.Remove(id);
            _ownReplicas.Remove(id);
        }

        ObjectDeleted?.Invoke(id);
    }

    private async Task<bool> LeaseAliveAsync(long lease)
    {
        if (lease == 0)
        {
            return false;
        }

        try
        {
            var live = await _etcd.Leases.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease });
            return live.TTL > 0;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    /// <summary>Applies our own write to the cache unless the watch has already delivered it (or what came after it).</summary>
    private void WriteThrough(long revision, Action apply)
    {
        if (revision > _appliedRevision)
        {
            apply();
        }
    }

    private void AddName(string name, ObjectId id)
    {
        RemoveName(name);
        _names[name] = id;
        if (!_namesById.TryGetValue(id, out var names))
        {
            _namesById[id] = names = new SortedSet<string>(StringComparer.Ordinal);
        }

        names.Add(name);
    }

    private void RemoveName(string name)
    {
        if (_names.Remove(name, out var id) && _namesById.TryGetValue(id, out var names))
        {
            names.Remove(name);
            if (names.Count == 0)
            {
                _namesById.Remove(id);
            }
        }
    }

    private void AddReplica(ObjectId id, int instance)
    {
        if (!_replicas.TryGetValue(id, out var copies))
        {
            _replicas[id] = copies = [];
        }

        copies.Add(instance);
    }

    private void RemoveObject(ObjectId id)
    {
        _objects.Remove(id);
        _replicas.Remove(id);
        if (_namesById.Remove(id, out var names))
        {
            foreach (var name in names)
            {
                _names.Remove(name);
            }
        }
    }

    /// <summary>
    /// The error for a name found taken, naming its holder. The holder goes into the cache as well: a local put of
    /// the same name right after must be refused though the watch has not delivered the name yet.
    /// </summary>
    private async Task<ObjectStoreException> NameTakenAsync(IEnumerable<string> names, CancellationToken cancellationToken)
    {
        foreach (var name in names)
        {
            var (holder, revision) = await GetWithRevisionAsync<NameEntry>(_keys.ForName(name), cancellationToken);
            if (holder is not null)
            {
                lock (_gate)
                {
                    WriteThrough(revision, () => AddName(name, holder.Id));
                }

                return new ObjectStoreException(ObjectStoreErrorCode.NameTaken,
                    $"The name '{name}' is taken cluster-wide by {holder.Id}; drop it first or choose another.");
            }
        }

        return new ObjectStoreException(ObjectStoreErrorCode.ObjectNotFound, "The object was deleted while it was being named.");
    }

    private async Task<T?> GetAsync<T>(string key, CancellationToken cancellationToken)
        where T : class => (await GetWithRevisionAsync<T>(key, cancellationToken)).Value;

    /// <summary>A key's value, and the store's revision it was read at.</summary>
    private async Task<(T? Value, long Revision)> GetWithRevisionAsync<T>(string key, CancellationToken cancellationToken)
        where T : class
    {
        var range = await CallAsync(() => _etcd.KeyValue.RangeAsync(new RangeRequest { Key = EtcdKeys.ToBytes(key) }, cancellationToken: cancellationToken));
        var value = range.Kvs.Count == 0 ? null : JsonSerializer.Deserialize<T>(range.Kvs[0].Value.Span, ClusterJson.Options);
        return (value, range.Header.Revision);
    }

    /// <summary>An etcd call whose transport failure becomes an Unavailable error for the client.</summary>
    private async Task<T> CallAsync<T>(Func<AsyncUnaryCall<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (TransientRetry.IsTransient(ex))
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable,
                $"etcd at {string.Join(", ", _etcd.ConnectionString.Endpoints)} is unreachable ({ex.Message}); try again once it is back.", ex);
        }
    }

    private static Compare Absent(string key) => new()
    {
        Key = EtcdKeys.ToBytes(key),
        Target = Compare.Types.CompareTarget.Create,
        Result = Compare.Types.CompareResult.Equal,
        CreateRevision = 0,
    };

    private static Compare Present(string key) => new()
    {
        Key = EtcdKeys.ToBytes(key),
        Target = Compare.Types.CompareTarget.Create,
        Result = Compare.Types.CompareResult.Greater,
        CreateRevision = 0,
    };

    /// <summary>True while the key is as <paramref name="read"/> found it.</summary>
    private static Compare Unchanged(Mvccpb.KeyValue read) => new()
    {
        Key = read.Key,
        Target = Compare.Types.CompareTarget.Mod,
        Result = Compare.Types.CompareResult.Equal,
        ModRevision = read.ModRevision,
    };

    /// <summary>True while the name key names <paramref name="id"/>.</summary>
    private static Compare Names(string key, ObjectId id) => new()
    {
        Key = EtcdKeys.ToBytes(key),
        Target = Compare.Types.CompareTarget.Value,
        Result = Compare.Types.CompareResult.Equal,
        Value = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(new NameEntry(id), ClusterJson.Options)),
    };

    private static RequestOp Range(string key) => new() { RequestRange = new RangeRequest { Key = EtcdKeys.ToBytes(key) } };

    private static RequestOp Delete(string key) => new() { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdKeys.ToBytes(key) } };

    private static RequestOp Put<T>(string key, T value, long lease) => new()
    {
        RequestPut = new PutRequest
        {
            Key = EtcdKeys.ToBytes(key),
            Value = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(value, ClusterJson.Options)),
            Lease = lease,
        },
    };

    /// <summary>The instance number was taken by another instance while this one was away.</summary>
    private sealed class InstanceTakenException(string message) : Exception(message);
}
