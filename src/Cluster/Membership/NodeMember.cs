namespace Fluid.Aspire.Cluster.Membership;

/// <summary>
/// One live daemon on one node, as it registers itself in etcd under its lease. A node is the set of its members.
/// </summary>
/// <param name="Node">The node name.</param>
/// <param name="Component">Which daemon: see <see cref="NodeComponents"/>.</param>
/// <param name="Labels">The node's labels as this daemon sees them.</param>
/// <param name="Host">The host name of the machine the process runs on.</param>
/// <param name="ProcessId">The operating-system process id, to find the process behind a registration.</param>
/// <param name="Endpoints">The addresses the daemon serves, by scheme or purpose.</param>
/// <param name="StartedAt">When the daemon registered.</param>
/// <param name="Version">The daemon's build version.</param>
public sealed record NodeMember(
    string Node,
    string Component,
    IReadOnlyDictionary<string, string> Labels,
    string Host,
    int ProcessId,
    IReadOnlyDictionary<string, string> Endpoints,
    DateTimeOffset StartedAt,
    string Version);
