using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// A connection to the object store daemon of this node. Objects are written straight into shared memory and read
/// in place by any process on the node: the socket carries metadata only. One round trip per get; one per put
/// once warm (small puts reuse a spare blob handed out with the previous answer). Thread-safe; calls on one client
/// are served one after another, so use several clients for parallel requests.
/// </summary>
public sealed class ObjectStoreClient : IAsyncDisposable, IDisposable
{
    private readonly IpcChannel _channel;
    private readonly ArenaMappings _arenas;
    private readonly ObjectStoreClientOptions _options;
    private readonly Dictionary<ObjectId, BlobWriter> _writers = [];
    private readonly Lock _gate = new();
    private BlobLocation? _spare;
    private long _lastSmallSize;
    private int _disposed;

    private ObjectStoreClient(IpcChannel channel, ArenaMappings arenas, WelcomeResponse welcome, ObjectStoreClientOptions options)
    {
        _channel = channel;
        _arenas = arenas;
        _options = options;
        Instance = welcome.Instance;
        Node = welcome.Node;
    }

    /// <summary>The daemon's instance number in the cluster.</summary>
    public int Instance { get; }

    /// <summary>The node the daemon serves.</summary>
    public string Node { get; }

    /// <summary>Connects to the daemon at <paramref name="socketPath"/>.</summary>
    public static Task<ObjectStoreClient> ConnectAsync(string socketPath, CancellationToken cancellationToken = default) =>
        ConnectAsync(new ObjectStoreClientOptions { SocketPath = socketPath }, cancellationToken);

    /// <summary>Connects to the daemon and maps its arenas.</summary>
    /// <exception cref="ObjectStoreException">Unavailable when no daemon answers; VersionMismatch when it speaks another protocol.</exception>
    public static async Task<ObjectStoreClient> ConnectAsync(ObjectStoreClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ObjectStoreClientOptions();
        var (channel, welcome, descriptors) = await IpcChannel.ConnectAsync(
            options.ResolveSocketPath(), options.ClientName, options.ConnectTimeout, cancellationToken);
        try
        {
            return new ObjectStoreClient(channel, new ArenaMappings(welcome.Arenas, descriptors), welcome, options);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    /// <summary>Allocates a blob to fill in place; nobody else sees it until it is sealed into an object.</summary>
    /// <exception cref="NotEnoughMemoryException">The store cannot hold it; the message gives the sizes.</exception>
    public async Task<BlobWriter> CreateBlobAsync(long size, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (TakeSpare(size) is { } spare)
        {
            return Track(spare);
        }

        return (await CreateBlobsAsync([size], cancellationToken))[0];
    }

    /// <summary>Allocates several blobs in one round trip: all of them, or none.</summary>
    public async Task<IReadOnlyList<BlobWriter>> CreateBlobsAsync(IReadOnlyList<long> sizes, CancellationToken cancellationToken = default)
    {
        var spareSize = SpareSizeFor(sizes.Count == 1 ? sizes[0] : 0);
        var answer = await _channel.CallAsync(
            w => new CreateBlobsRequest(sizes, spareSize).Write(w), MessageType.Blobs, BlobsResponse.Read, cancellationToken,
            abandon: unwanted =>
            {
                foreach (var blob in unwanted.Spare is { } spare ? unwanted.Blobs.Append(spare) : unwanted.Blobs)
                {
                    _channel.DropBlob(blob.Id);
                }
            });
        KeepSpare(answer.Spare);
        return answer.Blobs.Select(Track).ToArray();
    }

    /// <summary>
    /// Seals the blobs that <paramref name="meta"/> names (blobs of this client, or sealed blobs of other objects,
    /// shared) and creates the object. <paramref name="cancellationToken"/> cancels only until the request is sent;
    /// the writers of a refused request are open again, to fix what was wrong.
    /// </summary>
    public async Task<ObjectId> CreateObjectAsync(ObjectMeta meta, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= PutOptions.Default;
        if (options.Labels is { Count: > 0 } labels)
        {
            meta = meta.WithLabels(labels);
        }

        var spareSize = SpareSizeFor(_lastSmallSize);
        var sealing = WritersOf(meta);
        SealAll(sealing);
        using var activity = ObjectStoreTracing.StartPut(Node, meta, options.Name);
        CreatedResponse answer;
        try
        {
            answer = await _channel.CallAsync(
                w => new CreateObjectRequest(meta, options.Name, options.Persist, spareSize).Write(w),
                MessageType.Created, CreatedResponse.Read, cancellationToken);
        }
        catch (Exception ex) when (Failed(activity, ex))
        {
            throw;
        }
        catch (Exception ex) when ((ex is ObjectStoreException { Code: not ObjectStoreErrorCode.Unavailable } && !options.Persist)
            || ex is OperationCanceledException)
        {
            // Refused before sealing, or never sent, so still unsealed: the writer may fix what was wrong and seal
            // again. A refused persist comes after the seal, and the daemon has freed the blobs by then; after a
            // broken connection they may be sealed already. Either way their writers stay closed.
            foreach (var writer in sealing)
            {
                writer.Reopen();
            }

            throw;
        }

        ForgetWriters(sealing);
        KeepSpare(answer.Spare);
        activity?.SetTag("fluid.object.id", answer.Id.ToString());
        return answer.Id;
    }

    /// <summary>Puts bytes as a <c>fluid::Buffer</c> object: one copy, into shared memory.</summary>
    public async Task<ObjectId> PutAsync(ReadOnlyMemory<byte> data, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        // A blob is never empty, but the object records the bytes put, so that nothing put reads back as nothing.
        using var writer = await CreateBlobAsync(Math.Max(1, data.Length), cancellationToken);
        data.Span.CopyTo(writer.Span);
        return await writer.SealAsync(options, data.Length, cancellationToken);
    }

    /// <summary>
    /// Puts a value through the builder registered for its type: arrays of numbers become tensors, Arrow record
    /// batches and tables become Arrow objects, and registered types whatever their builder makes.
    /// </summary>
    public Task<ObjectId> PutValueAsync<T>(T value, PutOptions? options = null, CancellationToken cancellationToken = default)
        where T : notnull => ObjectTypes.Build(this, value, options ?? PutOptions.Default, cancellationToken);

    /// <summary>Gets an object by id: its metadata and its blobs mapped in place, held until the handle is disposed.</summary>
    /// <exception cref="ObjectStoreException">ObjectNotFound, or ObjectNotSealed for a blob still being written.</exception>
    public Task<ObjectHandle> GetAsync(ObjectId id, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        GetAsync(ObjectRef.ById(id), options, cancellationToken);

    /// <summary>Gets an object by name; one round trip.</summary>
    public Task<ObjectHandle> GetAsync(string name, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        GetAsync(ObjectRef.ByName(name), options, cancellationToken);

    /// <summary>Gets an object and reads it as <typeparamref name="T"/> through the resolver registered for its type.</summary>
    public async Task<T> GetAsync<T>(string name, GetOptions? options = null, CancellationToken cancellationToken = default)
        where T : IDisposable => Resolve<T>(await GetAsync(name, options, cancellationToken));

    /// <summary>Gets an object and reads it as <typeparamref name="T"/> through the resolver registered for its type.</summary>
    public async Task<T> GetAsync<T>(ObjectId id, GetOptions? options = null, CancellationToken cancellationToken = default)
        where T : IDisposable => Resolve<T>(await GetAsync(id, options, cancellationToken));

    /// <summary>An object's metadata in one round trip, without holding or mapping it (nor fetching it from another instance).</summary>
    /// <exception cref="ObjectStoreException">ObjectNotFound, or ObjectNotSealed for a blob still being written.</exception>
    public Task<ObjectInfo> StatAsync(ObjectId id, CancellationToken cancellationToken = default) =>
        StatAsync(ObjectRef.ById(id), cancellationToken);

    /// <inheritdoc cref="StatAsync(ObjectId, CancellationToken)"/>
    public Task<ObjectInfo> StatAsync(string name, CancellationToken cancellationToken = default) =>
        StatAsync(ObjectRef.ByName(name), cancellationToken);

    /// <summary>Deletes an object; its memory is reclaimed once no client holds it.</summary>
    public Task DeleteAsync(ObjectId id, CancellationToken cancellationToken = default) =>
        Ok(w => new TargetRequest(MessageType.Delete, ObjectRef.ById(id)).Write(w), cancellationToken);

    /// <summary>Deletes the object with this name.</summary>
    public Task DeleteAsync(string name, CancellationToken cancellationToken = default) =>
        Ok(w => new TargetRequest(MessageType.Delete, ObjectRef.ByName(name)).Write(w), cancellationToken);

    /// <summary>Writes the object's metadata to etcd, so that every instance sees it; its names become cluster-wide.</summary>
    public Task PersistAsync(ObjectId id, CancellationToken cancellationToken = default) =>
        Ok(w => new TargetRequest(MessageType.Persist, ObjectRef.ById(id)).Write(w), cancellationToken);

    /// <summary>Names an object.</summary>
    /// <exception cref="ObjectStoreException">NameTaken when another object has the name.</exception>
    public Task PutNameAsync(string name, ObjectId id, CancellationToken cancellationToken = default) =>
        Ok(w => new NameRequest(MessageType.PutName, name, id).Write(w), cancellationToken);

    public Task DropNameAsync(string name, CancellationToken cancellationToken = default) =>
        Ok(w => new NameRequest(MessageType.DropName, name, ObjectId.None).Write(w), cancellationToken);

    /// <summary>Objects held here and persisted anywhere whose id, type or name contains <paramref name="pattern"/>.</summary>
    public Task<ObjectListResponse> ListAsync(string? pattern = null, int limit = 1000, CancellationToken cancellationToken = default) =>
        _channel.CallAsync(w => new ListRequest(pattern ?? "", limit).Write(w), MessageType.ObjectList, ObjectListResponse.Read, cancellationToken,
            HoldsNothing);

    public Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        _channel.CallAsync(w => w.Begin(MessageType.Stats), MessageType.StatsReply, StoreStatsCodec.Read, cancellationToken, HoldsNothing);

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the connection (the daemon then releases everything it held for this client, and frees the
    /// blobs it never sealed), closes the writers of those blobs, and unmaps the arenas once no handle uses them.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        BlobWriter[] unsealed;
        lock (_gate)
        {
            unsealed = [.. _writers.Values];
            _writers.Clear();
        }

        // Closed before the connection: once it closes, the daemon may hand their memory to another client's object.
        foreach (var writer in unsealed)
        {
            writer.Dispose();
        }

        _channel.Dispose();
        _arenas.Dispose();
    }

    internal void DropBlob(ObjectId id)
    {
        lock (_gate)
        {
            _writers.Remove(id);
        }

        _channel.DropBlob(id);
    }

    private Task<ObjectInfo> StatAsync(ObjectRef target, CancellationToken cancellationToken) =>
        _channel.CallAsync(w => new TargetRequest(MessageType.Stat, target).Write(w), MessageType.ObjectInfo, ObjectInfo.Read, cancellationToken,
            HoldsNothing);

    private async Task<ObjectHandle> GetAsync(ObjectRef target, GetOptions? options, CancellationToken cancellationToken)
    {
        options ??= GetOptions.Default;
        using var activity = ObjectStoreTracing.StartGet(Node, target);
        ObjectResponse answer;
        try
        {
            answer = await _channel.CallAsync(
                w => new GetRequest(target, options.Fetch, activity?.Id ?? "").Write(w), MessageType.ObjectData, ObjectResponse.Read, cancellationToken,
                abandon: unwanted => _channel.Release(unwanted.Meta.Id));
        }
        catch (Exception ex) when (Failed(activity, ex))
        {
            throw;
        }

        ObjectStoreTracing.Got(activity, Instance, answer.Meta);
        try
        {
            return new ObjectHandle(_channel, _arenas, answer.Meta, answer.Blobs, options.Prefault);
        }
        catch
        {
            _channel.Release(answer.Meta.Id);
            throw;
        }
    }

    /// <summary>Marks the span failed; false, so that the exception goes on to the handlers after it.</summary>
    private static bool Failed(System.Diagnostics.Activity? activity, Exception error)
    {
        ObjectStoreTracing.Failed(activity, error);
        return false;
    }

    private static T Resolve<T>(ObjectHandle handle)
    {
        try
        {
            return ObjectTypes.Resolve<T>(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private Task<bool> Ok(Action<FrameWriter> write, CancellationToken cancellationToken) =>
        _channel.CallAsync(write, MessageType.Ok, (ref WireReader _) => true, cancellationToken, HoldsNothing);

    /// <summary>For answers that hold nothing in the daemon: a caller may stop waiting for them.</summary>
    private static void HoldsNothing<T>(T answer)
    {
    }

    /// <summary>Seals every writer, or, when one cannot be sealed, none.</summary>
    private static void SealAll(List<BlobWriter> writers)
    {
        for (var i = 0; i < writers.Count; i++)
        {
            try
            {
                writers[i].Seal();
            }
            catch
            {
                writers.Take(i).ToList().ForEach(w => w.Reopen());
                throw;
            }
        }
    }

    private BlobWriter Track(BlobLocation location)
    {
        var writer = new BlobWriter(this, _arenas, location);
        lock (_gate)
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                _writers[writer.Id] = writer;
                return writer;
            }
        }

        // Disposed meanwhile, after it closed the writers it knew of.
        writer.Dispose();
        throw new ObjectDisposedException(nameof(ObjectStoreClient));
    }

    /// <summary>The writers of this client among the blob leaves; each leaf once, so each writer once.</summary>
    private List<BlobWriter> WritersOf(ObjectMeta meta)
    {
        var leaves = meta.Blobs();
        var writers = new List<BlobWriter>(leaves.Count);
        lock (_gate)
        {
            foreach (var leaf in leaves)
            {
                if (_writers.TryGetValue(leaf.Id, out var writer))
                {
                    writers.Add(writer);
                }
            }
        }

        return writers;
    }

    private void ForgetWriters(List<BlobWriter> sealedWriters)
    {
        lock (_gate)
        {
            foreach (var writer in sealedWriters)
            {
                _writers.Remove(writer.Id);
            }
        }
    }

    /// <summary>The spare to ask for: one like the last small put, when none is in hand.</summary>
    private long SpareSizeFor(long size)
    {
        lock (_gate)
        {
            if (size > 0 && size <= _options.SpareThreshold)
            {
                _lastSmallSize = size;
            }

            return _spare is null && _lastSmallSize > 0 ? _lastSmallSize : 0;
        }
    }

    private void KeepSpare(BlobLocation? spare)
    {
        if (spare is null)
        {
            return;
        }

        lock (_gate)
        {
            _spare = spare;
        }
    }

    /// <summary>The spare, if it fits this put without wasting more than half of it.</summary>
    private BlobLocation? TakeSpare(long size)
    {
        lock (_gate)
        {
            if (_spare is { } spare && size <= spare.Length && size * 2 >= spare.Length)
            {
                _spare = null;
                return spare;
            }

            return null;
        }
    }
}
