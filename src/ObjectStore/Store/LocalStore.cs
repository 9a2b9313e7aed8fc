using System.Diagnostics;
using Fluid.Aspire.ObjectStore.Cluster;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Rpc;
using Fluid.Aspire.ObjectStore.Telemetry;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>
/// The objects and blobs this instance holds, and who holds them. One lock guards all of it; work that takes
/// time (etcd, disk, network) runs outside the lock, with the objects involved held so that they stay put.
/// </summary>
internal sealed partial class LocalStore : IDisposable
{
    private readonly Lock _gate = new();
    private readonly ArenaSet _arenas;
    private readonly ObjectIdGenerator _ids;
    private readonly IObjectCatalog _catalog;
    private readonly IPeerTransfer? _peers;
    private readonly StoreOptions _options;
    private readonly ObjectStoreTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly BlobTable _blobs = new();
    private readonly Dictionary<ObjectId, StoredObject> _objects = [];
    private readonly Dictionary<string, StoredObject> _localNames = new(StringComparer.Ordinal);
    private readonly Dictionary<ObjectId, Task<StoredObject>> _fetches = [];
    private readonly Dictionary<long, ClientSession> _sessions = [];
    private long _lastSession;

    public LocalStore(
        ArenaSet arenas,
        IObjectCatalog catalog,
        StoreOptions options,
        ObjectStoreTelemetry telemetry,
        TimeProvider clock,
        ILogger<LocalStore> logger,
        IPeerTransfer? peers = null)
    {
        _arenas = arenas;
        _catalog = catalog;
        _peers = peers;
        _options = options;
        _telemetry = telemetry;
        _logger = logger;
        _ids = new ObjectIdGenerator(() => catalog.Instance, clock);
        _spill = options.SpillPath is null ? null : new SpillDirectory(options.SpillPath);
        catalog.ObjectDeleted += OnDeletedElsewhere;
        telemetry.Observe(() => Locked(() => _arenas.Used), () => Locked(() => _arenas.FreeBytes), () => Locked(() => _objects.Count));
    }

    public ArenaSet Arenas => _arenas;

    public int Instance => _catalog.Instance;

    public ClientSession OpenSession(string clientName, int processId)
    {
        lock (_gate)
        {
            var session = new ClientSession(++_lastSession, clientName, processId);
            _sessions.Add(session.Id, session);
            return session;
        }
    }

    /// <summary>Gives back everything a connection held: its gets, and the blobs it created but never sealed.</summary>
    public void CloseSession(ClientSession session)
    {
        lock (_gate)
        {
            if (!_sessions.Remove(session.Id))
            {
                return;
            }

            foreach (var (id, count) in session.Holds)
            {
                if (_objects.TryGetValue(id, out var held) || TryFindDeleted(id, out held))
                {
                    Unhold(held, count);
                }
            }

            session.Holds.Clear();
            foreach (var blob in session.Unsealed)
            {
                FreeBlob(blob);
            }

            if (session.Unsealed.Count > 0)
            {
                _logger.LogInformation("Freed {Count} unsealed blob(s) of {Session}, which went away before sealing them.",
                    session.Unsealed.Count, session);
            }

            session.Unsealed.Clear();
            session.Spare = null;
        }
    }

    /// <summary>Allocates writable blobs for <paramref name="session"/>; all of them, or none with NotEnoughMemory.</summary>
    public async Task<(BlobLocation[] Blobs, BlobLocation? Spare)> CreateBlobsAsync(
        ClientSession session, IReadOnlyList<long> sizes, long spareSize, CancellationToken cancellationToken)
    {
        if (sizes.Count > _options.MaxBlobsPerRequest)
        {
            throw Invalid($"One request may create at most {_options.MaxBlobsPerRequest} blobs, not {sizes.Count}.");
        }

        foreach (var size in sizes)
        {
            if (size < 1)
            {
                throw Invalid($"A blob must hold at least 1 byte, not {size}.");
            }
        }

        var spaces = await AllocateAsync(sizes, cancellationToken);
        lock (_gate)
        {
            if (!_sessions.ContainsKey(session.Id))
            {
                FreeSpaces(spaces);
                throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument, "The connection closed.");
            }

            var locations = new BlobLocation[spaces.Length];
            for (var i = 0; i < spaces.Length; i++)
            {
                locations[i] = AddUnsealedBlob(session, spaces[i], sizes[i]).Location;
            }

            return (locations, GrantSpare(session, spareSize));
        }
    }

    /// <summary>Frees blobs a connection created and will not seal; ids that are not its unsealed blobs are ignored, as the message has no answer.</summary>
    public void DropBlobs(ClientSession session, IReadOnlyList<ObjectId> ids)
    {
        lock (_gate)
        {
            foreach (var id in ids)
            {
                if (_blobs.TryGetValue(id, out var blob) && blob.State == BlobState.Unsealed && blob.Owner == session)
                {
                    session.Unsealed.Remove(blob);
                    if (session.Spare == blob)
                    {
                        session.Spare = null;
                    }

                    FreeBlob(blob);
                }
            }
        }
    }

    /// <summary>
    /// Seals the connection's blobs that <paramref name="meta"/> names and creates the object; with
    /// <paramref name="persist"/>, writes it to etcd before answering, so that every instance can see it.
    /// </summary>
    public async Task<(ObjectId Id, BlobLocation? Spare)> CreateObjectAsync(
        ClientSession session, ObjectMeta meta, string? name, bool persist, long spareSize, CancellationToken cancellationToken)
    {
        if (name is not null)
        {
            ObjectNames.Validate(name);
        }

        if (meta.IsBlob || string.IsNullOrWhiteSpace(meta.TypeName))
        {
            throw Invalid("An object needs a type name other than fluid::Blob; wrap blobs as members of an object.");
        }

        StoredObject created;
        BlobLocation? spare;
        lock (_gate)
        {
            var leaves = meta.Blobs();
            var blobs = new Blob[leaves.Count];
            for (var i = 0; i < leaves.Count; i++)
            {
                blobs[i] = BlobForLeaf(session, leaves[i]);
            }

            if (name is not null && !persist)
            {
                EnsureNameFree(name);
            }

            _quotas.EnsureFits(meta, leaves.Sum(l => l.NBytes), _arenas.Capacity);
            var now = Stopwatch.GetTimestamp();
            long nbytes = 0;
            for (var i = 0; i < blobs.Length; i++)
            {
                Seal(session, blobs[i], leaves[i].NBytes);
                blobs[i].ObjectReferences++;
                blobs[i].LastUsed = now;
                nbytes += blobs[i].Length;
            }

            var identified = new ObjectMeta
            {
                Id = _ids.NextObject(),
                TypeName = meta.TypeName,
                NBytes = nbytes,
                Instance = _catalog.Instance,
                IsPersisted = persist,
                Labels = meta.Labels,
                Fields = meta.Fields,
                Members = meta.Members,
            };
            created = new StoredObject(identified, blobs, isReplica: false);
            _objects.Add(created.Id, created);
            _quotas.Added(identified);
            if (name is not null && !persist)
            {
                AddLocalName(created, name);
            }

            spare = GrantSpare(session, spareSize);
        }

        if (persist)
        {
            try
            {
                await _catalog.PersistAsync(created.Meta, name is null ? [] : [name], cancellationToken);
            }
            catch
            {
                // Nothing is left half-created: the object goes, and the caller learns why.
                lock (_gate)
                {
                    MarkDeleted(created);
                }

                throw;
            }
        }

        _telemetry.Put();
        Activity.Current?.SetTag("fluid.object", created.Id.ToString());
        return (created.Id, spare);
    }

    /// <summary>
    /// Finds an object and holds it for <paramref name="session"/> until released. An object held only by another
    /// instance is copied here first when <paramref name="fetch"/> is set.
    /// </summary>
    public async Task<(ObjectMeta Meta, BlobLocation[] Blobs)> GetAsync(
        ClientSession session, ObjectRef target, bool fetch, CancellationToken cancellationToken)
    {
        StoredObject? found;
        lock (_gate)
        {
            found = FindLocal(target);
            if (found is not null)
            {
                Hold(session, found);
            }
        }

        if (found is null)
        {
            var meta = await _catalog.FindAsync(target, cancellationToken) ?? throw NotFound(target);
            Task<StoredObject>? fetching = null;
            lock (_gate)
            {
                // Another request may have fetched it meanwhile.
                found = _objects.GetValueOrDefault(meta.Id);
                if (found is not null)
                {
                    Hold(session, found);
                }
                else
                {
                    fetching = StartFetch(target, meta, fetch);
                }
            }

            if (fetching is not null)
            {
                var fetched = await fetching;
                lock (_gate)
                {
                    if (fetched.IsDeleted)
                    {
                        throw NotFound(target);
                    }

                    Hold(session, fetched);
                }

                found = fetched;
            }
        }

        try
        {
            await EnsureResidentAsync(found!, cancellationToken);
            lock (_gate)
            {
                _telemetry.Got();
                Activity.Current?.SetTag("fluid.object", found!.Id.ToString());
                return (found!.Meta, Array.ConvertAll(found.Blobs, b => b.Location));
            }
        }
        catch
        {
            lock (_gate)
            {
                Release(session, found!.Id);
            }

            throw;
        }
    }

    /// <summary>An object's metadata, from this instance or the catalog, without holding, reloading or fetching it.</summary>
    public async Task<ObjectInfo> StatAsync(ObjectRef target, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (FindLocal(target) is { } found)
            {
                return new ObjectInfo(found.Meta, IsLocal: true);
            }
        }

        var meta = await _catalog.FindAsync(target, cancellationToken) ?? throw NotFound(target);
        return new ObjectInfo(meta, IsLocal: false);
    }

    /// <summary>Lets go of objects got earlier; unknown ids are ignored, as a release can race a delete.</summary>
    public void Release(ClientSession session, IReadOnlyList<ObjectId> ids)
    {
        lock (_gate)
        {
            foreach (var id in ids)
            {
                Release(session, id);
            }
        }
    }

    /// <summary>
    /// Deletes an object here and, if persisted, everywhere. Its memory is reclaimed once no client holds it.
    /// </summary>
    public async Task DeleteAsync(ObjectRef target, CancellationToken cancellationToken)
    {
        ObjectId id;
        bool persisted;
        lock (_gate)
        {
            var local = FindLocal(target);
            if (local is not null)
            {
                id = local.Id;
                persisted = local.IsPersisted;
                MarkDeleted(local);
            }
            else
            {
                id = ResolveGlobal(target) ?? throw NotFound(target);
                persisted = true;
            }
        }

        if (persisted)
        {
            await _catalog.DeleteAsync(id, cancellationToken);
        }
    }

    /// <summary>Names an object: only here while it is local, cluster-wide once it is persisted.</summary>
    public async Task PutNameAsync(string name, ObjectId id, CancellationToken cancellationToken)
    {
        ObjectNames.Validate(name);
        lock (_gate)
        {
            EnsureNameFree(name);
            if (_objects.TryGetValue(id, out var local) && !local.IsPersisted)
            {
                AddLocalName(local, name);
                return;
            }

            if (local is null && !_catalog.TryGetObject(id, out _))
            {
                throw NotFound(ObjectRef.ById(id));
            }
        }

        await _catalog.PutNameAsync(name, id, cancellationToken);
    }

    public async Task DropNameAsync(string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_localNames.Remove(name, out var named))
            {
                named.RemoveLocalName(name);
                return;
            }

            if (!_catalog.TryResolveName(name, out _))
            {
                throw NotFound(ObjectRef.ByName(name));
            }
        }

        await _catalog.DropNameAsync(name, cancellationToken);
    }

    /// <summary>Writes a local object's metadata to etcd, and makes its names global.</summary>
    public async Task PersistAsync(ObjectRef target, CancellationToken cancellationToken)
    {
        StoredObject local;
        string[] names;
        lock (_gate)
        {
            var found = FindLocal(target);
            if (found is null)
            {
                _ = ResolveGlobal(target) ?? throw NotFound(target);
                return;
            }

            if (found.IsPersisted)
            {
                return;
            }

            local = found;
            names = [.. found.LocalNames];
        }

        var persisted = local.Meta.WithIdentity(local.Id, local.Meta.Instance, persisted: true);
        await _catalog.PersistAsync(persisted, names, cancellationToken);
        lock (_gate)
        {
            local.Meta = persisted;
            foreach (var name in names)
            {
                _localNames.Remove(name);
            }

            local.ClearLocalNames();
        }
    }

    public ObjectListResponse List(string pattern, int limit)
    {
        lock (_gate)
        {
            var summaries = new List<ObjectSummary>();
            foreach (var stored in _objects.Values)
            {
                var names = stored.IsPersisted ? _catalog.NamesOf(stored.Id) : [.. stored.LocalNames];
                summaries.Add(new ObjectSummary(stored.Id, stored.Meta.TypeName, stored.Meta.NBytes, stored.Meta.Instance,
                    stored.IsPersisted, IsLocal: true, stored.IsSpilled, names));
            }

            foreach (var meta in _catalog.PersistedObjects)
            {
                if (!_objects.ContainsKey(meta.Id))
                {
                    summaries.Add(new ObjectSummary(meta.Id, meta.TypeName, meta.NBytes, meta.Instance, IsPersisted: true,
                        IsLocal: false, IsSpilled: false, _catalog.NamesOf(meta.Id)));
                }
            }

            var matching = summaries
                .Where(s => pattern.Length == 0 || s.Id.ToString().Contains(pattern, StringComparison.Ordinal)
                    || s.TypeName.Contains(pattern, StringComparison.Ordinal)
                    || s.Names.Any(n => n.Contains(pattern, StringComparison.Ordinal)))
                .OrderBy(s => s.Id)
                .ToList();
            return new ObjectListResponse(matching.Take(limit).ToArray(), matching.Count > limit);
        }
    }

    public StoreStats Stats(string node)
    {
        lock (_gate)
        {
            return new StoreStats
            {
                Instance = _catalog.Instance,
                Node = node,
                Backend = "memfd",
                Arenas = _arenas.Arenas.Count,
                Capacity = _arenas.Capacity,
                Used = _arenas.Used,
                Free = _arenas.FreeBytes,
                LargestFreeBlock = _arenas.LargestFreeBlock,
                Fragmentation = _arenas.Fragmentation,
                Objects = _objects.Count,
                Blobs = _blobs.Count,
                UnsealedBlobs = _blobs.CountIn(BlobState.Unsealed),
                Connections = _sessions.Count,
                SpilledBlobs = _blobs.CountIn(BlobState.Spilled),
                SpilledBytes = _blobs.SpilledBytes,
                Puts = _telemetry.Puts,
                Gets = _telemetry.Gets,
                FetchedBytes = _telemetry.FetchedBytes,
            };
        }
    }

    /// <summary>
    /// Holds an object in memory while the daemon itself reads it, for a peer or a remote client; the object is
    /// loaded back first if it was spilled.
    /// </summary>
    public async Task<ObjectLease> LeaseAsync(ObjectRef target, CancellationToken cancellationToken)
    {
        var session = OpenSession("lease", Environment.ProcessId);
        try
        {
            var (meta, blobs) = await GetAsync(session, target, fetch: false, cancellationToken);
            var ranges = Array.ConvertAll(blobs, RangeOf);
            return new ObjectLease(meta, ranges, () => CloseSession(session));
        }
        catch
        {
            CloseSession(session);
            throw;
        }
    }

    /// <summary>The daemon's own view of a blob's bytes.</summary>
    public MemoryRange RangeOf(BlobLocation location)
    {
        var arena = _arenas.Arenas[location.Arena];
        unsafe
        {
            return new MemoryRange((nint)arena.At(location.Offset, location.Length), location.Length);
        }
    }

    public void Dispose()
    {
        _catalog.ObjectDeleted -= OnDeletedElsewhere;
        _spilling.Dispose();
    }

    private T Locked<T>(Func<T> read)
    {
        lock (_gate)
        {
            return read();
        }
    }

    private Blob AddUnsealedBlob(ClientSession session, BlobSpace space, long length)
    {
        var blob = new Blob(_ids.NextBlob(), space, length, session) { LastUsed = Stopwatch.GetTimestamp() };
        _blobs.Add(blob);
        session.Unsealed.Add(blob);
        return blob;
    }

    /// <summary>A spare is handed out only when the last one was used, only if it fits now without spilling.</summary>
    private BlobLocation? GrantSpare(ClientSession session, long size)
    {
        if (size < 1 || size > _options.MaxSpareSize || session.Spare is not null || !_arenas.TryAllocate(size, out var space))
        {
            return null;
        }

        session.Spare = AddUnsealedBlob(session, space, size);
        return session.Spare.Location;
    }

    private static void EnsureOwned(ClientSession session, Blob blob)
    {
        if (blob.Owner != session)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.BlobNotOwned,
                $"Blob {blob.Id} is being written by another connection; only the connection that created a blob can seal or drop it.");
        }
    }

    /// <summary>A blob named by a leaf of new metadata: this connection's own unsealed blob, or any sealed one, shared.</summary>
    private Blob BlobForLeaf(ClientSession session, ObjectMeta leaf)
    {
        if (!_blobs.TryGetValue(leaf.Id, out var blob))
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.ObjectNotFound,
                $"The metadata names blob {leaf.Id}, which does not exist (never created, or freed when its connection closed).");
        }

        if (blob.State == BlobState.Unsealed)
        {
            EnsureOwned(session, blob);
            return leaf.NBytes >= 0 && leaf.NBytes <= blob.Space.Capacity
                ? blob
                : throw Invalid($"The metadata gives blob {leaf.Id} {leaf.NBytes} bytes; it was created with room for {blob.Length}.");
        }

        return leaf.NBytes == blob.Length
            ? blob
            : throw Invalid($"The metadata gives sealed blob {leaf.Id} {leaf.NBytes} bytes; it holds {blob.Length}.");
    }

    private void Seal(ClientSession session, Blob blob, long length)
    {
        if (blob.State != BlobState.Unsealed)
        {
            return;
        }

        // Giving the unused tail back keeps a put of fewer bytes than asked for from wasting memory.
        if (blob.Space.Capacity - length >= ArenaAllocator.DefaultAlignment)
        {
            // An empty blob keeps the smallest block: a location always points at memory of this blob's own.
            blob.Space = _arenas.Shrink(blob.Space, Math.Max(1, length));
        }

        blob.Length = length;
        blob.State = BlobState.Sealed;
        blob.Owner = null;
        session.Unsealed.Remove(blob);
        if (session.Spare == blob)
        {
            session.Spare = null;
        }
    }

    private StoredObject? FindLocal(ObjectRef target)
    {
        if (target.Name is { } name)
        {
            if (_localNames.TryGetValue(name, out var named))
            {
                return named;
            }

            return _catalog.TryResolveName(name, out var id) && _objects.TryGetValue(id, out var global) ? global : null;
        }

        if (target.Id.IsBlob && _blobs.TryGetValue(target.Id, out var blob) && blob.State == BlobState.Unsealed)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.ObjectNotSealed,
                $"Blob {target.Id} is still being written; it can be read once sealed into an object.");
        }

        return _objects.GetValueOrDefault(target.Id);
    }

    private ObjectId? ResolveGlobal(ObjectRef target)
    {
        if (target.Name is { } name)
        {
            return _catalog.TryResolveName(name, out var id) ? id : null;
        }

        return _catalog.TryGetObject(target.Id, out _) ? target.Id : null;
    }

    private void EnsureNameFree(string name)
    {
        if (_localNames.TryGetValue(name, out var local))
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.NameTaken,
                $"The name '{name}' is taken by {local.Id}; drop it first (rm --name, or DropName) or choose another.");
        }

        if (_catalog.TryResolveName(name, out var global))
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.NameTaken,
                $"The name '{name}' is taken cluster-wide by {global}; drop it first or choose another.");
        }
    }

    private void AddLocalName(StoredObject target, string name)
    {
        _localNames.Add(name, target);
        target.AddLocalName(name);
    }

    private static void Hold(ClientSession session, StoredObject target)
    {
        session.Holds[target.Id] = session.Holds.GetValueOrDefault(target.Id) + 1;
        if (target.Holds++ == 0)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var blob in target.Blobs)
            {
                blob.Pins++;
                blob.LastUsed = now;
            }
        }
    }

    private void Release(ClientSession session, ObjectId id)
    {
        if (!session.Holds.TryGetValue(id, out var count))
        {
            return;
        }

        if (count == 1)
        {
            session.Holds.Remove(id);
        }
        else
        {
            session.Holds[id] = count - 1;
        }

        if (_objects.TryGetValue(id, out var held) || TryFindDeleted(id, out held))
        {
            Unhold(held, 1);
        }
    }

    private void Unhold(StoredObject target, int count)
    {
        target.Holds -= count;
        if (target.Holds > 0)
        {
            return;
        }

        foreach (var blob in target.Blobs)
        {
            blob.Pins--;
        }

        if (target.IsDeleted)
        {
            _deletedButHeld.Remove(target.Id);
            Destroy(target);
        }
    }

    /// <summary>Deleted objects that clients still hold: out of every index, but their memory stays until released.</summary>
    private readonly Dictionary<ObjectId, StoredObject> _deletedButHeld = [];

    private bool TryFindDeleted(ObjectId id, out StoredObject deleted) => _deletedButHeld.TryGetValue(id, out deleted!);

    private void MarkDeleted(StoredObject target)
    {
        if (target.IsDeleted)
        {
            return;
        }

        target.IsDeleted = true;
        _objects.Remove(target.Id);
        _quotas.Removed(target.Meta);
        foreach (var name in target.LocalNames)
        {
            _localNames.Remove(name);
        }

        target.ClearLocalNames();
        if (target.Holds > 0)
        {
            _deletedButHeld[target.Id] = target;
        }
        else
        {
            Destroy(target);
        }
    }

    private void Destroy(StoredObject target)
    {
        foreach (var blob in target.Blobs)
        {
            if (--blob.ObjectReferences == 0 && blob.Pins == 0)
            {
                FreeBlob(blob);
            }
        }
    }

    private void FreeBlob(Blob blob)
    {
        if (!_blobs.Remove(blob))
        {
            return;
        }

        switch (blob.State)
        {
            case BlobState.Unsealed or BlobState.Sealed:
                _arenas.Free(blob.Space);
                break;
            case BlobState.Spilled:
                _spill?.Delete(blob.Id);
                break;
            case BlobState.Spilling:
                // The spiller is reading the memory; it frees both memory and file when it sees the blob gone.
                break;
        }
    }

    private void OnDeletedElsewhere(ObjectId id)
    {
        lock (_gate)
        {
            if (_objects.TryGetValue(id, out var local))
            {
                _logger.LogInformation("{Object} was deleted in the cluster; dropping the copy held here.", id);
                MarkDeleted(local);
            }
        }
    }

    private static ObjectStoreException Invalid(string message) => new(ObjectStoreErrorCode.InvalidArgument, message);

    private ObjectStoreException NotFound(ObjectRef target) => target.Name is { } name
        ? new ObjectStoreException(ObjectStoreErrorCode.NameNotFound,
            $"No object is named '{name}' on this instance{(_catalog.IsClustered ? " or in the cluster" : "")}; `ls` lists the objects and their names.")
        : new ObjectStoreException(ObjectStoreErrorCode.ObjectNotFound,
            $"No object {target.Id} on this instance{(_catalog.IsClustered ? " or in the cluster" : "")}: it was never created here, " +
            "or it was deleted; local objects of other instances are visible only once persisted.");
}
