using System.Net.Sockets;
using System.Text.Json;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.ObjectStore.Cluster;
using Fluid.Aspire.ObjectStore.Daemon;
using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Objects;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.ObjectStore.Rpc;

/// <summary>Which path blob bytes take between instances.</summary>
public enum PeerChannel
{
    /// <summary>The bulk channel, falling back to gRPC chunks when it cannot be reached.</summary>
    Auto,

    /// <summary>Only the bulk channel: a plain TCP stream, at the speed of the socket.</summary>
    Bulk,

    /// <summary>Only gRPC chunks: slower, but through anything that passes HTTP/2.</summary>
    Grpc,
}

/// <summary>
/// Pulls objects from the instances that hold them, presenting the cluster's token, over one gRPC channel per peer,
/// reused while the peer is registered.
/// </summary>
internal sealed class PeerTransfer(IObjectCatalog catalog, DaemonSettings settings, ILogger<PeerTransfer> logger) : IPeerTransfer, IDisposable
{
    private readonly ObjectStoreChannels _channels = new(settings.Token);

    public async Task<string> ReceiveAsync(ObjectMeta meta, int owner, IReadOnlyList<MemoryRange> destinations, CancellationToken cancellationToken)
    {
        // Peers are learnt of here, so it is here that the channels of peers whose registration is gone are let go.
        _channels.Retain((instance, endpoint) => catalog.FindInstance(instance)?.RpcEndpoint == endpoint);
        var peer = catalog.FindInstance(owner)
            ?? throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable,
                $"Instance {owner}, which holds {meta.Id}, is not registered any more (stopped or unreachable).");
        var client = _channels.ClientFor(peer);
        try
        {
            if (settings.PeerChannel != PeerChannel.Grpc)
            {
                try
                {
                    await ReceiveOverBulkAsync(client, meta, destinations, settings.Token, cancellationToken);
                    return "bulk";
                }
                catch (SocketException ex) when (settings.PeerChannel == PeerChannel.Auto)
                {
                    logger.LogWarning("The bulk channel of instance {Owner} cannot be reached ({Reason}); copying {Object} over gRPC.",
                        owner, ex.Message, meta.Id);
                }
            }

            await ReceiveOverGrpcAsync(client, meta, destinations, cancellationToken);
            return "grpc";
        }
        catch (RpcException ex)
        {
            throw RpcErrors.FromRpc(ex);
        }
        catch (ObjectDisposedException ex)
        {
            // Another transfer found the peer's registration gone and closed its channel under this one.
            throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable,
                $"Instance {owner}, which holds {meta.Id}, stopped during the transfer.", ex);
        }
    }

    public void Dispose() => _channels.Dispose();

    private static async Task ReceiveOverBulkAsync(
        ObjectStoreRpc.ObjectStoreRpcClient client, ObjectMeta meta, IReadOnlyList<MemoryRange> destinations, ObjectStoreToken? token,
        CancellationToken cancellationToken)
    {
        var ticket = await client.OpenBulkTransferAsync(new ObjectRequest { Target = meta.Id.ToString() }, cancellationToken: cancellationToken);
        var offered = JsonSerializer.Deserialize<ObjectMeta>(ticket.MetaJson, ClusterJson.Options)!;
        EnsureSameBlobs(meta, offered);
        var separator = ticket.Endpoint.LastIndexOf(':');
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        BulkChannel.Tune(socket);
        await socket.ConnectAsync(ticket.Endpoint[..separator], int.Parse(ticket.Endpoint[(separator + 1)..], System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        await socket.SendAsync(BulkChannel.Claim(ticket.Token.Span, token), SocketFlags.None, cancellationToken);
        await BulkChannel.ReadAnswerAsync(socket, ticket.Endpoint, cancellationToken);
        foreach (var destination in destinations)
        {
            await BulkChannel.ReceiveAsync(socket, destination, cancellationToken);
        }
    }

    private static async Task ReceiveOverGrpcAsync(
        ObjectStoreRpc.ObjectStoreRpcClient client, ObjectMeta meta, IReadOnlyList<MemoryRange> destinations, CancellationToken cancellationToken)
    {
        using var call = client.ReadBlobs(new ObjectRequest { Target = meta.Id.ToString() }, cancellationToken: cancellationToken);
        var received = new long[destinations.Count];
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            ChunkWriter.Write(chunk, destinations, received);
        }

        ChunkWriter.EnsureComplete(destinations, received, meta.Id);
    }

    private static void EnsureSameBlobs(ObjectMeta expected, ObjectMeta offered)
    {
        var mine = expected.Blobs();
        var theirs = offered.Blobs();
        if (mine.Count != theirs.Count || mine.Where((blob, i) => blob.Id != theirs[i].Id || blob.NBytes != theirs[i].NBytes).Any())
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.Internal,
                $"The owner of {expected.Id} offers blobs that differ from its metadata in etcd; the object changed under the same id.");
        }
    }
}

/// <summary>Places gRPC chunks into mapped memory, checking that each lands inside its blob.</summary>
internal static class ChunkWriter
{
    public static unsafe void Write(BlobChunk chunk, IReadOnlyList<MemoryRange> destinations, long[] received)
    {
        if (chunk.BlobIndex < 0 || chunk.BlobIndex >= destinations.Count)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument,
                $"A chunk names blob {chunk.BlobIndex} of an object with {destinations.Count} blobs.");
        }

        var destination = destinations[chunk.BlobIndex];
        if (chunk.Offset < 0 || chunk.Offset > destination.Length - chunk.Data.Length)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument,
                $"A chunk of {chunk.Data.Length} bytes at {chunk.Offset} does not fit blob {chunk.BlobIndex} of {destination.Length} bytes.");
        }

        chunk.Data.Span.CopyTo(new Span<byte>((byte*)destination.Address + chunk.Offset, chunk.Data.Length));
        received[chunk.BlobIndex] += chunk.Data.Length;
    }

    public static void EnsureComplete(IReadOnlyList<MemoryRange> destinations, long[] received, ObjectId id)
    {
        for (var i = 0; i < destinations.Count; i++)
        {
            if (received[i] != destinations[i].Length)
            {
                throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable,
                    $"The copy of {id} ended early: blob {i} got {received[i]} of {destinations[i].Length} bytes.");
            }
        }
    }
}
