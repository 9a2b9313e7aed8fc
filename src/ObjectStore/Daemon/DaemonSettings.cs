using Fluid.Aspire.Contracts;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Store;

namespace Fluid.Aspire.ObjectStore.Daemon;

/// <summary>The daemon's settings once read and checked: sizes in bytes, paths resolved.</summary>
internal sealed record DaemonSettings
{
    public required string NodeName { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    public required string SocketPath { get; init; }

    public required long Size { get; init; }

    public required long ArenaSize { get; init; }

    public required bool ReserveMemory { get; init; }

    /// <summary>The uids served on the socket: the daemon's own, root's and those configured.</summary>
    public required IReadOnlySet<int> AllowedUids { get; init; }

    public required int MaxClients { get; init; }

    public required int IpcThreads { get; init; }

    public required StoreOptions Store { get; init; }

    public required int RpcPort { get; init; }

    public required int BulkPort { get; init; }

    public required string BindAddress { get; init; }

    public required string AdvertiseAddress { get; init; }

    public required int MaxFrameLength { get; init; }

    public required Rpc.PeerChannel PeerChannel { get; init; }

    public required int LeaseTtlSeconds { get; init; }

    /// <summary>The cluster's token that callers must present; null only on a loopback address (checked by the options).</summary>
    public Rpc.ObjectStoreToken? Token { get; init; }

    public static DaemonSettings From(ObjectStoreOptions options, NodeOptions node)
    {
        var problems = options.Validate().Concat(node.Validate()).ToArray();
        if (problems.Length > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        }

        var size = Quantity.ParseBytes(options.Size);
        return new DaemonSettings
        {
            NodeName = node.Name,
            Labels = node.ToLabels(),
            SocketPath = Path.GetFullPath(options.Socket ?? Ipc.SocketPaths.Default()),
            Size = size,
            ArenaSize = options.ArenaSize is null ? size : Quantity.ParseBytes(options.ArenaSize),
            ReserveMemory = options.ReserveMemory,
            AllowedUids = options.AllowedUids.Append(0).Append(Ipc.PeerCredentials.CurrentUserId).ToHashSet(),
            MaxClients = options.MaxClients,
            IpcThreads = options.IpcThreads ?? Math.Clamp(Environment.ProcessorCount, 1, 16),
            Store = new StoreOptions
            {
                SpillPath = options.SpillPath,
                SpillLowWatermark = options.SpillLowWatermark,
                SpillHighWatermark = options.SpillHighWatermark,
            },
            RpcPort = options.RpcPort,
            BulkPort = options.BulkPort,
            BindAddress = options.BindAddress,
            AdvertiseAddress = options.AdvertiseAddress ?? (options.BindAddress is "0.0.0.0" or "::" ? "127.0.0.1" : options.BindAddress),
            MaxFrameLength = options.MaxFrameLength,
            PeerChannel = options.PeerChannel,
            LeaseTtlSeconds = node.LeaseTtlSeconds,
            Token = Rpc.ObjectStoreToken.FromSettings(options.TokenFile, options.Token),
        };
    }
}
