using Fluid.Aspire.Contracts;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Daemon;

/// <summary>
/// The daemon's settings, section <c>Fluid:ObjectStore</c>; the <c>start</c> command's options set the same keys.
/// </summary>
public sealed class ObjectStoreOptions
{
    public const string SectionName = "Fluid:ObjectStore";

    /// <summary>
    /// The largest MaxFrameLength accepted: each connection reads a frame into one buffer, and no metadata needs more;
    /// near 2 GiB, a frame's length and its header would no longer fit in one array.
    /// </summary>
    private const int MaxMaxFrameLength = 1024 * 1024 * 1024;

    /// <summary>The shared memory the daemon may use, e.g. <c>4Gi</c>.</summary>
    public string Size { get; set; } = "2Gi";

    /// <summary>The size of each arena; the memory is split into arenas of at most this size. Default: one arena.</summary>
    public string? ArenaSize { get; set; }

    /// <summary>Allocate and fault in all the memory at start, so that first writes run at memory speed.</summary>
    public bool ReserveMemory { get; set; }

    /// <summary>
    /// The users (uids) allowed to connect to the socket, besides the daemon's own and root; a client of any other
    /// uid is refused at its handshake. The socket's mode (0660) lets its group in as well; this list is what decides.
    /// </summary>
    public List<int> AllowedUids { get; set; } = [];

    /// <summary>The most clients connected at once; one more is refused with a clear error.</summary>
    public int MaxClients { get; set; } = 4096;

    /// <summary>The threads that serve the socket's clients; by default one per processor, at most 16.</summary>
    public int? IpcThreads { get; set; }

    /// <summary>The Unix socket clients connect to; by default under /var/run/fluid (root) or $XDG_RUNTIME_DIR/fluid.</summary>
    public string? Socket { get; set; }

    /// <summary>Where sealed, unreferenced blobs go when memory is short; unset: no spilling.</summary>
    public string? SpillPath { get; set; }

    public double SpillLowWatermark { get; set; } = 0.3;

    public double SpillHighWatermark { get; set; } = 0.8;

    /// <summary>The port of the gRPC endpoint (HTTP/2) other instances and remote clients call; 0 picks a free one.</summary>
    public int RpcPort { get; set; }

    /// <summary>The port of the bulk channel that moves blob bytes between instances; 0 picks a free one.</summary>
    public int BulkPort { get; set; }

    /// <summary>The address the RPC and bulk listeners bind to.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>The address other instances use to reach this one; by default the bind address.</summary>
    public string? AdvertiseAddress { get; set; }

    /// <summary>
    /// A file holding the cluster's token, which every call to the RPC and bulk listeners must present, and which
    /// this instance presents to its peers. Required when <see cref="BindAddress"/> is not a loopback address.
    /// </summary>
    public string? TokenFile { get; set; }

    /// <summary>The token itself, where no file can be had; <see cref="TokenFile"/> is preferred.</summary>
    public string? Token { get; set; }

    /// <summary>How blob bytes travel between instances: the bulk channel with a gRPC fallback, or only one of them.</summary>
    public Rpc.PeerChannel PeerChannel { get; set; } = Rpc.PeerChannel.Auto;

    /// <summary>The largest IPC frame accepted: metadata only, since payloads never cross the socket.</summary>
    public int MaxFrameLength { get; set; } = Ipc.Wire.DefaultMaxFrameLength;

    /// <summary>The problems with these settings, each naming the setting and how to fix it.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var (name, value) in new[] { (nameof(Size), (string?)Size), (nameof(ArenaSize), ArenaSize) })
        {
            if (value is null)
            {
                continue;
            }

            string? problem = null;
            try
            {
                if (Quantity.ParseBytes(value) < 4096)
                {
                    problem = $"{SectionName}:{name} is {value}; use at least 4Ki.";
                }
            }
            catch (FormatException ex)
            {
                problem = $"{SectionName}:{name}: {ex.Message}";
            }

            if (problem is not null)
            {
                yield return problem;
            }
        }

        if (SpillLowWatermark is < 0 or > 1 || SpillHighWatermark is < 0 or > 1 || SpillLowWatermark > SpillHighWatermark)
        {
            yield return $"{SectionName}: the spill watermarks must satisfy 0 <= low ({SpillLowWatermark}) <= high ({SpillHighWatermark}) <= 1.";
        }

        if (RpcPort is < 0 or > 65535 || BulkPort is < 0 or > 65535)
        {
            yield return $"{SectionName}: ports must be from 0 (any free port) to 65535.";
        }

        if (!System.Net.IPAddress.TryParse(BindAddress, out var bind))
        {
            yield return $"{SectionName}:BindAddress '{BindAddress}' is not an IP address; use 127.0.0.1, 0.0.0.0 or the node's address.";
        }
        else if (!System.Net.IPAddress.IsLoopback(bind) && string.IsNullOrWhiteSpace(TokenFile) && string.IsNullOrWhiteSpace(Token))
        {
            // Anyone who reaches the port could otherwise put, get and delete objects.
            yield return $"{SectionName}:BindAddress is {BindAddress}, which opens put, get and delete to the network, but no token is set: " +
                $"pass --token-file FILE ({SectionName}:TokenFile), a file holding the cluster's token " +
                "(make one with `head -c 32 /dev/urandom | base64 > FILE; chmod 600 FILE`), or bind to 127.0.0.1.";
        }

        if (MaxClients < 1)
        {
            yield return $"{SectionName}:MaxClients is {MaxClients}; use 1 or more (default 4096).";
        }

        if (IpcThreads is < 1 or > 256)
        {
            yield return $"{SectionName}:IpcThreads is {IpcThreads}; use 1 to 256, or leave it unset for one per processor (at most 16).";
        }

        if (AllowedUids.FirstOrDefault(uid => uid < 0) is var uid and < 0)
        {
            yield return $"{SectionName}:AllowedUids holds {uid}; a uid is 0 or more.";
        }

        if (MaxFrameLength is < 64 * 1024 or > MaxMaxFrameLength)
        {
            yield return $"{SectionName}:MaxFrameLength is {MaxFrameLength}; use 65536 to {MaxMaxFrameLength} (1 GiB).";
        }

        if (ArenaCount() is > DescriptorPassing.MaxDescriptors and var count)
        {
            // Every arena's descriptor rides on the Welcome; with more, no client could ever connect.
            yield return $"{SectionName}: a Size of {Size} in arenas of {ArenaSize} makes {count} arenas, and a client can be passed at most " +
                $"{DescriptorPassing.MaxDescriptors}; use an ArenaSize of at least {ByteSize.Format(ArenaSizeForMaxCount())}.";
        }
    }

    /// <summary>How many arenas Size and ArenaSize make; 0 when either is not a size (reported on its own).</summary>
    private long ArenaCount()
    {
        try
        {
            var size = Quantity.ParseBytes(Size);
            var arenaSize = ArenaSize is null ? size : Quantity.ParseBytes(ArenaSize);
            return arenaSize <= 0 ? 0 : (size / arenaSize) + (size % arenaSize == 0 ? 0 : 1);
        }
        catch (FormatException)
        {
            return 0;
        }
    }

    private long ArenaSizeForMaxCount()
    {
        var size = Quantity.ParseBytes(Size);
        return (size / DescriptorPassing.MaxDescriptors) + (size % DescriptorPassing.MaxDescriptors == 0 ? 0 : 1);
    }
}
