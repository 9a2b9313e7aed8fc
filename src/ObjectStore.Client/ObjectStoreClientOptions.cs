namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>How to reach the object store daemon of this node.</summary>
public sealed class ObjectStoreClientOptions
{
    /// <summary>The environment variable that names the socket; the local executor sets it for every step.</summary>
    public const string SocketVariable = "FLUID_OBJECTSTORE_SOCKET";

    /// <summary>The daemon's Unix socket. Default: <c>$FLUID_OBJECTSTORE_SOCKET</c>, else the daemon's default path.</summary>
    public string? SocketPath { get; set; }

    /// <summary>How this client is named in the daemon's logs.</summary>
    public string ClientName { get; set; } = AppDomain.CurrentDomain.FriendlyName;

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Puts of at most this many bytes ask the daemon for a spare blob ahead of the next one, so that a stream of
    /// small puts costs one round trip each. 0 turns it off.
    /// </summary>
    public long SpareThreshold { get; set; } = 64 * 1024;

    internal string ResolveSocketPath() =>
        SocketPath
        ?? Environment.GetEnvironmentVariable(SocketVariable)
        ?? Ipc.SocketPaths.Default();
}
