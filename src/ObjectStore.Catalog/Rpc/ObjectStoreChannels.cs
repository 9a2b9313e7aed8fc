using Fluid.Aspire.ObjectStore.Cluster;
using Grpc.Net.Client;

namespace Fluid.Aspire.ObjectStore.Rpc;

/// <summary>
/// gRPC channels to a cluster's object store instances, one per RPC endpoint, reused across calls, every call
/// carrying the cluster's token. A channel holds connections, so the owner lets a channel go with its instance
/// (<see cref="Retain"/>): instances come and go, and their channels must not pile up.
/// </summary>
public sealed class ObjectStoreChannels(ObjectStoreToken? token) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _channels = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>How many channels are open.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _channels.Count;
            }
        }
    }

    /// <summary>A client of <paramref name="instance"/>, over the channel to its endpoint (opened on first use).</summary>
    public ObjectStoreRpc.ObjectStoreRpcClient ClientFor(InstanceRecord instance)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_channels.TryGetValue(instance.RpcEndpoint, out var entry))
            {
                var channel = GrpcChannel.ForAddress(instance.RpcEndpoint, new GrpcChannelOptions
                {
                    MaxReceiveMessageSize = 16 * 1024 * 1024,
                    HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, ConnectTimeout = TimeSpan.FromSeconds(5) },
                });
                entry = new Entry(channel, new ObjectStoreRpc.ObjectStoreRpcClient(token?.Authorize(channel) ?? channel.CreateCallInvoker()));
                _channels.Add(instance.RpcEndpoint, entry);
            }

            // An endpoint may pass to a new instance (a restart on a fixed port): the channel follows the newest.
            entry.Instance = instance.Instance;
            return entry.Client;
        }
    }

    /// <summary>
    /// Closes the channels whose instance is gone: those for which <paramref name="isLive"/>, given the instance
    /// number and the endpoint, returns false. A call still running on such a channel fails.
    /// </summary>
    public void Retain(Func<int, string, bool> isLive)
    {
        var gone = new List<GrpcChannel>();
        lock (_gate)
        {
            foreach (var (endpoint, entry) in _channels)
            {
                if (!isLive(entry.Instance, endpoint))
                {
                    gone.Add(entry.Channel);
                    _channels.Remove(endpoint);
                }
            }
        }

        foreach (var channel in gone)
        {
            channel.Dispose();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        Retain((_, _) => false);
    }

    private sealed class Entry(GrpcChannel channel, ObjectStoreRpc.ObjectStoreRpcClient client)
    {
        public GrpcChannel Channel { get; } = channel;

        public ObjectStoreRpc.ObjectStoreRpcClient Client { get; } = client;

        public int Instance { get; set; }
    }
}
