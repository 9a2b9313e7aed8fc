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

namespace Fluid.Aspire.ObjectStore.Cluster;

/// <summary>
/// The catalog kept in etcd. The instance claims a number under its lease and registers itself; one watch of the
/// object store's keys keeps a local cache of instances, persisted objects, names and copies. What this instance
/// wrote is remembered, so that after a lost lease (etcd down longer than the TTL) it is written again.
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
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _appliedRevision;
    private long _lease;
    private int _instance = -1;
    private string _state = "starting";

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
        var lease = await CurrentLeaseAsync(cancellationToken);
        var request = new TxnRequest();
        request.Success.Add(Put(_keys.ForObject(meta.Id), meta, lease));
        foreach (var name in names)
        {
            request.Compare.Add(Absent(_keys.ForName(name)));
            request.Success.Add(Put(_keys.ForName(name), new NameEntry(meta.Id), lease));
        }

        var response = await CallAsync(() => _etcd.KeyValue.TxnAsync(request, cancellationToken: cancellationToken));
        if (!response.Succeeded)
        {
            throw await NameTakenAsync(names, cancellationToken);
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
                new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdKeys.ToBytes(_keys.ForObject(id)) } },
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
            request.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdKeys.ToBytes(_keys.ForName(name)) } });
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
        Task.FromResult(_instance >= 0 && _watcher.IsSynced
            ? HealthCheckResult.Healthy($"instance {_instance}, catalog at revision {_watcher.Revision}")
            : HealthCheckResult.Unhealthy($"not registered in etcd: {_state}"));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_lease != 0)
        {
            await EtcdLeases.TryRevokeAsync(_etcd, _lease, _logger, $"object store instance {_instance}", cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Register once the endpoints are bound, so that a registered instance is one that can be called.
        await _lifetime.WhenStartedAsync(stoppingToken);
        var watching = _watcher.RunAsync(stoppingToken);
        var retry = TransientRetry.Forever(_logger, "Registering the object store instance");
        while (!stoppingToken.IsCancellationRequested)
        {
            var lease = await retry.ExecuteAsync(RegisterAsync, stoppingToken);
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

    /// <summary>Claims an instance number under a new lease (the same number as before when it is still free) and writes back what this instance owns.</summary>
    private async ValueTask<long> RegisterAsync(CancellationToken cancellationToken)
    {
        var grant = await _etcd.Leases.LeaseGrantAsync(new LeaseGrantRequest { TTL = _settings.LeaseTtlSeconds }, cancellationToken: cancellationToken);
        var instance = await ClaimInstanceAsync(grant.ID, cancellationToken);
        await RestoreOwnKeysAsync(grant.ID, cancellationToken);
        _instance = instance;
        Interlocked.Exchange(ref _lease, grant.ID);
        _state = "registered";
        _logger.LogInformation("Registered as object store instance {Instance} of node {Node} (lease {Lease:x}, ttl {Ttl} s).",
            instance, _settings.NodeName, grant.ID, grant.TTL);
        return grant.ID;
    }

    private async Task<int> ClaimInstanceAsync(long lease, CancellationToken cancellationToken)
    {
        var taken = await _etcd.KeyValue.RangeAsync(new RangeRequest
        {
            Key = EtcdKeys.ToBytes(_keys.Instances),
            RangeEnd = EtcdKeys.PrefixRangeEnd(_keys.Instances),
            KeysOnly = true,
        }, cancellationToken: cancellationToken);
        var used = taken.Kvs.Select(kv => EtcdKeys.FromBytes(kv.Key)[_keys.Instances.Length..]).ToHashSet(StringComparer.Ordinal);
        var preferred = _instance >= 0 ? [_instance] : Enumerable.Empty<int>();
        foreach (var candidate in preferred.Concat(Enumerable.Range(0, ObjectId.MaxInstance + 1)))
        {
            if (used.Contains(candidate.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                continue;
            }

            var record = _endpoints.Describe(candidate, lease);
            var claim = await _etcd.KeyValue.TxnAsync(new TxnRequest
            {
                Compare = { Absent(_keys.ForInstance(candidate)) },
                Success = { Put(_keys.ForInstance(candidate), record, lease) },
            }, cancellationToken: cancellationToken);
            if (claim.Succeeded)
            {
                return candidate;
            }
        }

        throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable,
            $"All {ObjectId.MaxInstance + 1} instance numbers are taken; a cluster can have at most that many object store instances.");
    }

    private async Task RestoreOwnKeysAsync(long lease, CancellationToken cancellationToken)
    {
        List<RequestOp> operations;
        lock (_gate)
        {
            operations =
            [
                .. _ownObjects.Values.Select(meta => Put(_keys.ForObject(meta.Id), meta, lease)),
                .. _ownNames.Select(name => Put(_keys.ForName(name.Key), new NameEntry(name.Value), lease)),
                .. _ownReplicas.Select(id => new RequestOp
                {
                    RequestPut = new PutRequest { Key = EtcdKeys.ToBytes(_keys.ForReplica(id, _instance)), Value = ByteString.Empty, Lease = lease },
                }),
            ];
        }

        foreach (var batch in operations.Chunk(MaxOperationsPerTransaction))
        {
            await _etcd.KeyValue.TxnAsync(new TxnRequest { Success = { batch } }, cancellationToken: cancellationToken);
        }

        if (operations.Count > 0)
        {
            _logger.LogInformation("Wrote {Count} key(s) of persisted objects, names and copies again under the new lease.", operations.Count);
        }
    }

    private async Task<long> CurrentLeaseAsync(CancellationToken cancellationToken)
    {
        await _ready.Task.WaitAsync(cancellationToken);
        var lease = Interlocked.Read(ref _lease);
        return lease != 0
            ? lease
            : throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable,
                $"This instance is not registered in etcd right now ({_state}); try again once etcd is reachable.");
    }

    private void OnChanged(PrefixChange<CatalogEntry> change)
    {
        ObjectId? deleted = null;
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
                        deleted = gone.Meta.Id;
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

        if (own && !await LeaseAliveAsync())
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

    private async Task<bool> LeaseAliveAsync()
    {
        var lease = Interlocked.Read(ref _lease);
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

    private static RequestOp Put<T>(string key, T value, long lease) => new()
    {
        RequestPut = new PutRequest
        {
            Key = EtcdKeys.ToBytes(key),
            Value = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(value, ClusterJson.Options)),
            Lease = lease,
        },
    };
}
