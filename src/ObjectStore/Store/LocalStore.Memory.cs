using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Objects;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>Memory: allocation, spilling to disk and loading back, and copying objects in from other instances.</summary>
internal sealed partial class LocalStore
{
    private readonly SpillDirectory? _spill;

    /// <summary>One spill at a time: concurrent ones would pick the same victims and fight over the disk.</summary>
    private readonly SemaphoreSlim _spilling = new(1, 1);

    private int _backgroundSpill;

    /// <summary>Allocates every size or none; spills when it must and can, else fails with NotEnoughMemory.</summary>
    private async Task<BlobSpace[]> AllocateAsync(IReadOnlyList<long> sizes, CancellationToken cancellationToken)
    {
        while (true)
        {
            long requested;
            lock (_gate)
            {
                if (TryAllocateAll(sizes, out var spaces, out requested))
                {
                    StartBackgroundSpillIfAboveHighWatermark();
                    return spaces;
                }

                if (_spill is null)
                {
                    throw OutOfMemory(requested, spill: false);
                }
            }

            if (!await SpillAsync(requested, cancellationToken))
            {
                lock (_gate)
                {
                    if (TryAllocateAll(sizes, out var spaces, out requested))
                    {
                        return spaces;
                    }

                    throw OutOfMemory(requested, spill: true);
                }
            }
        }
    }

    private bool TryAllocateAll(IReadOnlyList<long> sizes, out BlobSpace[] spaces, out long failed)
    {
        spaces = new BlobSpace[sizes.Count];
        for (var i = 0; i < sizes.Count; i++)
        {
            if (!_arenas.TryAllocate(sizes[i], out spaces[i]))
            {
                FreeSpaces(spaces.AsSpan(0, i));
                failed = sizes[i];
                return false;
            }
        }

        failed = 0;
        return true;
    }

    private void FreeSpaces(ReadOnlySpan<BlobSpace> spaces)
    {
        foreach (var space in spaces)
        {
            _arenas.Free(space);
        }
    }

    private NotEnoughMemoryException OutOfMemory(long requested, bool spill) =>
        NotEnoughMemoryException.For(requested, _arenas.LargestFreeBlock, _arenas.Used, _arenas.Capacity,
            spill
                ? "Everything that could be spilled is held by a client or still being written; release or delete objects, " +
                    "or start the daemon with a larger --size."
                : null);

    private void StartBackgroundSpillIfAboveHighWatermark()
    {
        if (_spill is null || _arenas.Used <= _options.SpillHighWatermark * _arenas.Capacity
            || Interlocked.Exchange(ref _backgroundSpill, 1) == 1)
        {
            return;
        }

        var excess = _arenas.Used - (long)(_options.SpillLowWatermark * _arenas.Capacity);
        _ = Task.Run(async () =>
        {
            try
            {
                await SpillAsync(excess, CancellationToken.None);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogError(ex, "Spilling to {Path} failed; memory stays above the high watermark.", _spill.Path);
            }
            finally
            {
                Volatile.Write(ref _backgroundSpill, 0);
            }
        });
    }

    /// <summary>
    /// Moves least recently used, sealed, unheld blobs to disk until <paramref name="bytes"/> are freed or nothing
    /// more can go. Returns false when nothing could be spilled.
    /// </summary>
    private async Task<bool> SpillAsync(long bytes, CancellationToken cancellationToken)
    {
        await _spilling.WaitAsync(cancellationToken);
        try
        {
            List<Blob> victims;
            lock (_gate)
            {
                victims = ChooseVictims(bytes);
                foreach (var victim in victims)
                {
                    victim.State = BlobState.Spilling;
                }
            }

            if (victims.Count == 0)
            {
                return false;
            }

            long spilled = 0;
            foreach (var victim in victims)
            {
                spilled += await SpillOneAsync(victim, cancellationToken);
            }

            _telemetry.Spilled(spilled);
            _logger.LogInformation("Spilled {Count} blob(s), {Bytes}, to {Path}.", victims.Count, ByteSize.Format(spilled), _spill!.Path);
            return true;
        }
        finally
        {
            _spilling.Release();
        }
    }

    private List<Blob> ChooseVictims(long bytes)
    {
        // A heap built in one pass, then taken from until enough is chosen: the store's lock is held here, and
        // sorting every sealed blob of a large store would hold it many times longer.
        var candidates = new PriorityQueue<Blob, long>(
            _blobs.Values.Where(b => b.State == BlobState.Sealed && b.Pins == 0).Select(b => (b, b.LastUsed)));
        var victims = new List<Blob>();
        long chosen = 0;
        while (chosen < bytes && candidates.TryDequeue(out var blob, out _))
        {
            victims.Add(blob);
            chosen += blob.Space.Capacity;
        }

        return victims;
    }

    private async Task<long> SpillOneAsync(Blob victim, CancellationToken cancellationToken)
    {
        BlobLocation location;
        lock (_gate)
        {
            location = victim.Location;
        }

        try
        {
            await _spill!.WriteAsync(victim.Id, RangeOf(location), cancellationToken);
        }
        catch
        {
            lock (_gate)
            {
                RestoreAfterSpill(victim);
            }

            throw;
        }

        lock (_gate)
        {
            // A reader got the object while it was being written out: it stays in memory.
            if (victim.Pins > 0 || !_blobs.ContainsKey(victim.Id))
            {
                RestoreAfterSpill(victim);
                return 0;
            }

            _arenas.Free(victim.Space);
            victim.State = BlobState.Spilled;
            return victim.Length;
        }
    }

    private void RestoreAfterSpill(Blob victim)
    {
        _spill!.Delete(victim.Id);
        if (_blobs.ContainsKey(victim.Id))
        {
            victim.State = BlobState.Sealed;
        }
        else
        {
            // Freed while it was being written out: its memory could not go then, so it goes now.
            _arenas.Free(victim.Space);
        }
    }

    /// <summary>Loads back the spilled blobs of a held object; concurrent readers share one load per blob.</summary>
    private async Task EnsureResidentAsync(StoredObject target, CancellationToken cancellationToken)
    {
        List<Task>? loads = null;
        lock (_gate)
        {
            foreach (var blob in target.Blobs)
            {
                if (blob.State == BlobState.Spilled)
                {
                    blob.Reload ??= ReloadAsync(blob);
                    (loads ??= []).Add(blob.Reload);
                }
            }
        }

        if (loads is not null)
        {
            await Task.WhenAll(loads).WaitAsync(cancellationToken);
        }
    }

    private async Task ReloadAsync(Blob blob)
    {
        await Task.Yield();
        BlobSpace space = default;
        try
        {
            space = (await AllocateAsync([blob.Length], CancellationToken.None))[0];
            space.Arena.Mapping.Prefault(space.Offset, blob.Length, forWriting: true);
            await _spill!.ReadAsync(blob.Id, RangeOf(new BlobLocation(blob.Id, space.Arena.Id, space.Offset, blob.Length)), CancellationToken.None);
            lock (_gate)
            {
                blob.Space = space;
                blob.State = BlobState.Sealed;
                blob.Reload = null;
                _spill.Delete(blob.Id);
            }
        }
        catch
        {
            lock (_gate)
            {
                if (space.Arena is not null)
                {
                    _arenas.Free(space);
                }

                blob.Reload = null;
            }

            throw;
        }
    }

    /// <summary>
    /// Starts (or joins) copying a persisted object held by another instance into this one. Caller holds the lock.
    /// </summary>
    private Task<StoredObject> StartFetch(ObjectRef target, ObjectMeta meta, bool fetch)
    {
        var id = meta.Id;
        if (!fetch)
        {
            var owner = _catalog.FindInstance(meta.Instance);
            throw new ObjectStoreException(ObjectStoreErrorCode.ObjectNotFound,
                $"{target} ({id}) is held by instance {meta.Instance}{(owner is null ? "" : $" on {owner.Node}")}, not by this one; " +
                "get it with fetch: true (--fetch) to copy it here.");
        }

        if (_peers is null)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable, "This instance cannot reach other instances.");
        }

        if (!_fetches.TryGetValue(id, out var running))
        {
            running = FetchAsync(meta);
            _fetches[id] = running;
        }

        return running;
    }

    private async Task<StoredObject> FetchAsync(ObjectMeta meta)
    {
        await Task.Yield();
        using var activity = Telemetry.ObjectStoreTelemetry.StartInside("objectstore fetch");
        activity?.SetTag(Telemetry.ObjectStoreTelemetry.ObjectTag, meta.Id.ToString());
        activity?.SetTag("fluid.object.bytes", meta.NBytes);
        activity?.SetTag("fluid.object.owner", meta.Instance);
        BlobSpace[]? spaces = null;
        try
        {
            var leaves = meta.Blobs();
            spaces = await AllocateAsync(leaves.Select(l => l.NBytes).ToArray(), CancellationToken.None);
            var destinations = new MemoryRange[leaves.Count];
            for (var i = 0; i < leaves.Count; i++)
            {
                destinations[i] = RangeOf(new BlobLocation(leaves[i].Id, spaces[i].Arena.Id, spaces[i].Offset, leaves[i].NBytes));
                spaces[i].Arena.Mapping.Prefault(spaces[i].Offset, leaves[i].NBytes, forWriting: true);
            }

            var channel = await _peers!.ReceiveAsync(meta, meta.Instance, destinations, CancellationToken.None);
            StoredObject replica;
            lock (_gate)
            {
                if (_objects.TryGetValue(meta.Id, out var existing))
                {
                    FreeSpaces(spaces);
                    return existing;
                }

                var blobs = new Blob[leaves.Count];
                for (var i = 0; i < blobs.Length; i++)
                {
                    blobs[i] = AdoptFetchedBlob(leaves[i], spaces[i]);
                }

                spaces = null;
                replica = new StoredObject(meta, blobs, isReplica: true);
                _objects.Add(meta.Id, replica);
                _quotas.Added(meta);
            }

            _telemetry.Fetched(meta.NBytes, channel);
            activity?.SetTag("fluid.transfer.channel", channel);
            _logger.LogInformation("Fetched {Object} ({Bytes}) from instance {Owner} over {Channel}.",
                meta.Id, ByteSize.Format(meta.NBytes), meta.Instance, channel);
            try
            {
                await _catalog.AddReplicaAsync(meta.Id, CancellationToken.None);
            }
            catch (ObjectStoreException ex)
            {
                _logger.LogWarning("Could not record the copy of {Object} in etcd ({Reason}); it is used here all the same.", meta.Id, ex.Message);
            }

            return replica;
        }
        catch (Exception ex) when (ex is not ObjectStoreException)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable,
                $"Copying {meta.Id} from instance {meta.Instance} failed: {ex.Message}", ex);
        }
        finally
        {
            lock (_gate)
            {
                if (spaces is not null)
                {
                    FreeSpaces(spaces);
                }

                _fetches.Remove(meta.Id);
            }
        }
    }

    /// <summary>
    /// Seals a fetched blob under its original id; if this instance already has that blob (shared with an object
    /// fetched before), the existing one is used and the new copy freed.
    /// </summary>
    private Blob AdoptFetchedBlob(ObjectMeta leaf, BlobSpace space)
    {
        if (_blobs.TryGetValue(leaf.Id, out var existing))
        {
            _arenas.Free(space);
            existing.ObjectReferences++;
            return existing;
        }

        var blob = new Blob(leaf.Id, space, leaf.NBytes, owner: null)
        {
            State = BlobState.Sealed,
            ObjectReferences = 1,
            LastUsed = System.Diagnostics.Stopwatch.GetTimestamp(),
        };
        _blobs.Add(blob);
        return blob;
    }
}
