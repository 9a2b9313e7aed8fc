using System.Net;
using Fluid.Aspire.ObjectStore.Cluster;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Fluid.Aspire.ObjectStore.Daemon;

/// <summary>
/// Where this daemon can be reached, known once its listeners are bound (ports may be chosen by the system), and
/// how it describes itself in etcd.
/// </summary>
internal sealed class DaemonEndpoints(DaemonSettings settings)
{
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    /// <summary>The HTTP/2 listener of the gRPC service; its port is known once the server has bound it.</summary>
    public ListenOptions? RpcListener { get; set; }

    /// <summary>The gRPC endpoint, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string RpcEndpoint => RpcListener?.EndPoint is IPEndPoint bound
        ? $"http://{settings.AdvertiseAddress}:{bound.Port}"
        : throw new InvalidOperationException("The RPC listener is not bound yet.");

    /// <summary>The bulk channel, e.g. <c>127.0.0.1:41235</c>.</summary>
    public string BulkEndpoint { get; set; } = "";

    public long Capacity { get; set; }

    public InstanceRecord Describe(int instance, long lease) => new(
        instance,
        settings.NodeName,
        settings.Labels,
        settings.SocketPath,
        RpcEndpoint,
        BulkEndpoint,
        Capacity,
        Environment.MachineName,
        Environment.ProcessId,
        _startedAt,
        lease);
}
