namespace Fluid.Aspire.Cluster.Membership;

/// <summary>
/// One live daemon on one node, as its <see cref="MemberLease"/> says: a node is ready when every required daemon has
/// a lease that has not expired.
/// </summary>
/// <param name="Node">The node name.</param>
/// <param name="Component">Which daemon: see <see cref="NodeComponents"/>.</param>
/// <param name="Host">The host name of the machine (or pod) the process runs on.</param>
/// <param name="ProcessId">The operating-system process id, to find the process behind a registration.</param>
/// <param name="Endpoints">
/// The addresses the daemon serves, by scheme (<c>http</c>, <c>http1</c>, …) or purpose; <see cref="UnixEndpoint"/>
/// names the path of a Unix socket it serves HTTP on.
/// </param>
/// <param name="StartedAt">When the daemon took its lease.</param>
/// <param name="ExpiresAt">When the lease expires unless the daemon renews it.</param>
/// <param name="Version">The daemon's build version.</param>
public sealed record NodeMember(
    string Node,
    string Component,
    string Host,
    int ProcessId,
    IReadOnlyDictionary<string, string> Endpoints,
    DateTimeOffset StartedAt,
    DateTimeOffset ExpiresAt,
    string Version)
{
    /// <summary>The endpoint that is the path of the daemon's Unix socket.</summary>
    public const string UnixEndpoint = "unix";

    /// <summary>How Kestrel writes an address on a Unix socket: this prefix, then the socket's path.</summary>
    public const string UnixAddressPrefix = "http://unix:";
}
