using System.Text.Json;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.ObjectStore.Daemon;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Store;
using Google.Protobuf;
using Grpc.Core;

namespace Fluid.Aspire.ObjectStore.Rpc;

/// <summary>
/// The gRPC face of the daemon: metadata and control for other instances and remote clients, tickets for the bulk
/// channel, and put and get by copy for clients that share no memory with the daemon.
/// </summary>
internal sealed class ObjectStoreRpcService(
    LocalStore store, DaemonSettings settings, DaemonEndpoints endpoints, BulkTransferServer bulk) : ObjectStoreRpc.ObjectStoreRpcBase
{
    /// <summary>Chunks of the gRPC paths: big enough to amortize per-message cost, well under gRPC's message limit.</summary>
    public const int ChunkSize = 1024 * 1024;

    /// <summary>Objects a DeleteLabelled call deletes when it names no limit.</summary>
    public const int DeletionBatch = 1000;

    public override Task<InstanceReply> GetInstance(InstanceRequest request, ServerCallContext context) =>
        Task.FromResult(new InstanceReply { Instance = store.Instance, Node = settings.NodeName, BulkEndpoint = endpoints.BulkEndpoint });

    public override Task<MetaReply> Stat(ObjectRequest request, ServerCallContext context) => Guard(async () =>
    {
        var session = store.OpenSession("rpc-stat", 0);
        try
        {
            var (meta, _) = await store.GetAsync(session, ObjectRef.Parse(request.Target), fetch: false, context.CancellationToken);
            return new MetaReply { MetaJson = Json(meta) };
        }
        finally
        {
            store.CloseSession(session);
        }
    });

    public override Task<ListReply> List(ListRequest request, ServerCallContext context) => Guard(() =>
    {
        var listing = store.List(request.Pattern, request.Limit > 0 ? request.Limit : 1000);
        var reply = new ListReply { Truncated = listing.Truncated };
        reply.SummariesJson.AddRange(listing.Objects.Select(o => Json(o)));
        return Task.FromResult(reply);
    });

    public override Task<Done> Delete(ObjectRequest request, ServerCallContext context) => Guard(async () =>
    {
        await store.DeleteAsync(ObjectRef.Parse(request.Target), context.CancellationToken);
        return new Done();
    });

    public override Task<DeleteLabelledReply> DeleteLabelled(DeleteLabelledRequest request, ServerCallContext context) => Guard(async () =>
    {
        if (request.Label.Length == 0)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument, "DeleteLabelled needs the label whose value selects the objects.");
        }

        var cancellation = context.CancellationToken;
        var limit = request.Limit > 0 ? request.Limit : DeletionBatch;
        var matching = new List<ObjectId>(limit + 1);
        foreach (var summary in store.List("", int.MaxValue).Objects.Where(o => o.IsLocal))
        {
            ObjectInfo info;
            try
            {
                info = await store.StatAsync(ObjectRef.ById(summary.Id), cancellation);
            }
            catch (ObjectStoreException ex) when (ex.Code == ObjectStoreErrorCode.ObjectNotFound)
            {
                continue;
            }

            if (info.IsLocal && info.Meta.Labels.TryGetValue(request.Label, out var value) && value == request.Value)
            {
                matching.Add(summary.Id);
                if (matching.Count > limit)
                {
                    break;
                }
            }
        }

        var deleted = 0;
        await Parallel.ForEachAsync(matching.Take(limit), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellation },
            async (id, cancellationToken) =>
            {
                try
                {
                    await store.DeleteAsync(ObjectRef.ById(id), cancellationToken);
                    Interlocked.Increment(ref deleted);
                }
                catch (ObjectStoreException ex) when (ex.Code == ObjectStoreErrorCode.ObjectNotFound)
                {
                    // Deleted meanwhile, with its copies.
                }
            });
        return new DeleteLabelledReply { Deleted = deleted, More = matching.Count > limit };
    });

    public override Task<Done> PutName(NameRequest request, ServerCallContext context) => Guard(async () =>
    {
        await store.PutNameAsync(request.Name, ParseId(request.Id), context.CancellationToken);
        return new Done();
    });

    public override Task<Done> DropName(NameRequest request, ServerCallContext context) => Guard(async () =>
    {
        await store.DropNameAsync(request.Name, context.CancellationToken);
        return new Done();
    });

    public override Task<Done> Persist(ObjectRequest request, ServerCallContext context) => Guard(async () =>
    {
        await store.PersistAsync(ObjectRef.Parse(request.Target), context.CancellationToken);
        return new Done();
    });

    public override Task<StatsReply> Stats(StatsRequest request, ServerCallContext context) =>
        Guard(() => Task.FromResult(new StatsReply { StatsJson = Json(store.Stats(settings.NodeName)) }));

    public override Task<BulkTicket> OpenBulkTransfer(ObjectRequest request, ServerCallContext context) => Guard(async () =>
    {
        var lease = await store.LeaseAsync(ObjectRef.Parse(request.Target), context.CancellationToken);
        var token = bulk.Offer(lease);
        return new BulkTicket { Token = ByteString.CopyFrom(token), Endpoint = endpoints.BulkEndpoint, MetaJson = Json(lease.Meta) };
    });

    public override Task ReadBlobs(ObjectRequest request, IServerStreamWriter<BlobChunk> responseStream, ServerCallContext context) =>
        Guard(async () =>
        {
            using var lease = await store.LeaseAsync(ObjectRef.Parse(request.Target), context.CancellationToken);
            await WriteChunksAsync(lease, chunk => responseStream.WriteAsync(chunk, context.CancellationToken));
            return true;
        });

    public override Task Get(ObjectRequest request, IServerStreamWriter<GetMessage> responseStream, ServerCallContext context) =>
        Guard(async () =>
        {
            using var lease = await store.LeaseAsync(ObjectRef.Parse(request.Target), context.CancellationToken);
            await responseStream.WriteAsync(new GetMessage { MetaJson = Json(lease.Meta) }, context.CancellationToken);
            await WriteChunksAsync(lease, chunk => responseStream.WriteAsync(new GetMessage { Chunk = chunk }, context.CancellationToken));
            return true;
        });

    public override Task<PutReply> Put(IAsyncStreamReader<PutMessage> requestStream, ServerCallContext context) => Guard(async () =>
    {
        var cancellation = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellation) || requestStream.Current.PartCase != PutMessage.PartOneofCase.Header)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument, "A put starts with its header (metadata and blob sizes).");
        }

        var header = requestStream.Current.Header;
        var meta = JsonSerializer.Deserialize<ObjectMeta>(header.MetaJson, ClusterJson.Options)
            ?? throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument, "The put's metadata is JSON null.");
        var session = store.OpenSession($"rpc-put {context.Peer}", 0);
        try
        {
            var (blobs, _) = await store.CreateBlobsAsync(session, header.BlobSizes, 0, cancellation);
            var ranges = Array.ConvertAll(blobs, store.RangeOf);
            var filled = new long[ranges.Length];
            while (await requestStream.MoveNext(cancellation))
            {
                var chunk = requestStream.Current.Chunk
                    ?? throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument, "Only blob chunks may follow a put's header.");
                ChunkWriter.Write(chunk, ranges, filled);
            }

            ChunkWriter.EnsureComplete(ranges, filled, ObjectId.None);

            var resolved = meta.ReplaceBlobs(leaf =>
            {
                var position = (long)leaf.Id.Value - 1;
                return position >= 0 && position < blobs.Length
                    ? ObjectMeta.Blob(blobs[position].Id, blobs[position].Length)
                    : throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument,
                        $"A blob leaf of the put's metadata has id {leaf.Id}; use o0000000000000001 … for the blobs in the order of blob_sizes.");
            });
            var name = string.IsNullOrEmpty(header.Name) ? null : header.Name;
            var (id, _) = await store.CreateObjectAsync(session, resolved, name, header.Persist, 0, cancellation);
            return new PutReply { Id = id.ToString() };
        }
        finally
        {
            store.CloseSession(session);
        }
    });

    public override Task<ReservationReply> SetReservation(ReservationRequest request, ServerCallContext context) => Guard(() =>
    {
        var usage = store.Reserve(request.Dataset, request.Bytes);
        return Task.FromResult(new ReservationReply { Reserved = usage.Reserved, Used = usage.Used, Objects = usage.Objects });
    });

    /// <summary>Streams every blob of a lease in chunks that wrap the mapping itself: protobuf copies them once, onto the wire.</summary>
    private static async Task WriteChunksAsync(ObjectLease lease, Func<BlobChunk, Task> write)
    {
        for (var index = 0; index < lease.Blobs.Count; index++)
        {
            var blob = lease.Blobs[index];
            for (long offset = 0; offset < blob.Length; offset += ChunkSize)
            {
                await write(new BlobChunk { BlobIndex = index, Offset = offset, Data = Wrap(blob, offset) });
            }
        }
    }

    private static unsafe ByteString Wrap(MemoryRange blob, long offset)
    {
        var length = (int)Math.Min(ChunkSize, blob.Length - offset);
        var memory = new Native.NativeMemoryManager<byte>((byte*)blob.Address + offset, length).Memory;
        return UnsafeByteOperations.UnsafeWrap(memory);
    }

    private static ObjectId ParseId(string text) => ObjectId.TryParse(text, out var id)
        ? id
        : throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument, $"'{text}' is not an object id (o and 16 hex digits).");

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, ClusterJson.Options);

    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ObjectStoreException ex)
        {
            throw RpcErrors.ToRpc(ex);
        }
        catch (JsonException ex)
        {
            throw RpcErrors.ToRpc(new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument, $"The metadata is not valid JSON: {ex.Message}"));
        }
    }
}
