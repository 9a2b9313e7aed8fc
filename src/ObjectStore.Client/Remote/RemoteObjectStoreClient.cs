using System.Text.Json;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Rpc;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fluid.Aspire.ObjectStore.Client.Remote;

/// <summary>
/// A client for a process that shares no memory with any object store instance (another host, a container
/// without the socket): puts and gets copy the bytes over gRPC. Slower than <see cref="ObjectStoreClient"/>, but
/// it reaches the same objects and gets the same errors.
/// </summary>
public sealed class RemoteObjectStoreClient : IDisposable
{
    private const int ChunkSize = 1024 * 1024;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly GrpcChannel _channel;
    private readonly ObjectStoreRpc.ObjectStoreRpcClient _rpc;

    /// <param name="endpoint">The instance's RPC endpoint, as registered in etcd, e.g. <c>http://10.0.0.5:9600</c>.</param>
    /// <param name="token">
    /// The cluster's token, which every call presents (<see cref="ObjectStoreToken.ReadFile"/> reads the file the
    /// cluster keeps it in); an instance with a token refuses calls without it.
    /// </param>
    public RemoteObjectStoreClient(Uri endpoint, ObjectStoreToken? token = null)
    {
        _channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });
        _rpc = new ObjectStoreRpc.ObjectStoreRpcClient(token?.Authorize(_channel) ?? _channel.CreateCallInvoker());
    }

    /// <summary>Puts bytes as a <c>fluid::Buffer</c> object.</summary>
    public Task<ObjectId> PutAsync(ReadOnlyMemory<byte> data, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutAsync(ObjectTypes.Buffer(ObjectMeta.Blob(new ObjectId(1), data.Length)), [data], options, cancellationToken);

    /// <summary>
    /// Puts an object whose blob leaves carry the ids o0000000000000001, o…02, … (their positions, from 1, in
    /// <paramref name="blobs"/>).
    /// </summary>
    public async Task<ObjectId> PutAsync(
        ObjectMeta meta, IReadOnlyList<ReadOnlyMemory<byte>> blobs, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= PutOptions.Default;
        if (options.Labels is { Count: > 0 } labels)
        {
            meta = meta.WithLabels(labels);
        }

        return await CallAsync(async () =>
        {
            using var call = _rpc.Put(cancellationToken: cancellationToken);
            var header = new PutHeader { MetaJson = JsonSerializer.Serialize(meta, Json), Name = options.Name ?? "", Persist = options.Persist };
            header.BlobSizes.AddRange(blobs.Select(b => (long)b.Length));
            try
            {
                await call.RequestStream.WriteAsync(new PutMessage { Header = header }, cancellationToken);
                for (var index = 0; index < blobs.Count; index++)
                {
                    for (var offset = 0; offset < blobs[index].Length; offset += ChunkSize)
                    {
                        var piece = blobs[index].Slice(offset, Math.Min(ChunkSize, blobs[index].Length - offset));
                        await call.RequestStream.WriteAsync(new PutMessage
                        {
                            Chunk = new BlobChunk { BlobIndex = index, Offset = offset, Data = UnsafeByteOperations.UnsafeWrap(piece) },
                        }, cancellationToken);
                    }
                }

                await call.RequestStream.CompleteAsync();
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException)
            {
                // The instance may have refused the put before reading it all (not enough memory, a taken name) and
                // ended the call; a write in flight then sees only a broken stream. The call's status says why.
                await call.ResponseAsync;
                throw;
            }

            return ObjectId.Parse((await call.ResponseAsync).Id);
        });
    }

    /// <summary>Gets a copy of an object: its metadata and its blobs' bytes, in the order of <see cref="ObjectMeta.Blobs"/>.</summary>
    public Task<RemoteObject> GetAsync(string nameOrId, CancellationToken cancellationToken = default) => CallAsync(async () =>
    {
        using var call = _rpc.Get(new ObjectRequest { Target = nameOrId }, cancellationToken: cancellationToken);
        ObjectMeta? meta = null;
        byte[][] blobs = [];
        await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            if (message.PartCase == GetMessage.PartOneofCase.MetaJson)
            {
                meta = JsonSerializer.Deserialize<ObjectMeta>(message.MetaJson, Json)!;
                blobs = meta.Blobs().Select(b => new byte[b.NBytes]).ToArray();
            }
            else
            {
                var chunk = message.Chunk;
                chunk.Data.Span.CopyTo(blobs[chunk.BlobIndex].AsSpan(checked((int)chunk.Offset)));
            }
        }

        return new RemoteObject(meta ?? throw new ObjectStoreException(ObjectStoreErrorCode.ProtocolError, "The instance sent no metadata."), blobs);
    });

    public Task<ObjectMeta> StatAsync(string nameOrId, CancellationToken cancellationToken = default) => CallAsync(async () =>
        JsonSerializer.Deserialize<ObjectMeta>((await _rpc.StatAsync(new ObjectRequest { Target = nameOrId }, cancellationToken: cancellationToken)).MetaJson, Json)!);

    public Task DeleteAsync(string nameOrId, CancellationToken cancellationToken = default) =>
        CallAsync(async () => await _rpc.DeleteAsync(new ObjectRequest { Target = nameOrId }, cancellationToken: cancellationToken));

    public Task<IReadOnlyList<ObjectSummary>> ListAsync(string? pattern = null, CancellationToken cancellationToken = default) => CallAsync(async () =>
    {
        var reply = await _rpc.ListAsync(new Rpc.ListRequest { Pattern = pattern ?? "", Limit = 1000 }, cancellationToken: cancellationToken);
        return (IReadOnlyList<ObjectSummary>)reply.SummariesJson.Select(s => JsonSerializer.Deserialize<ObjectSummary>(s, Json)!).ToArray();
    });

    public void Dispose() => _channel.Dispose();

    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException ex)
        {
            throw RpcErrors.FromRpc(ex);
        }
    }
}

/// <summary>A copy of an object, got over RPC.</summary>
public sealed record RemoteObject(ObjectMeta Meta, IReadOnlyList<byte[]> Blobs);
