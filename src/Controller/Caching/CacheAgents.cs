using Fluid.Aspire.CacheAgent.Client;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.ObjectStore.Rpc;

namespace Fluid.Aspire.Controller.Caching;

/// <summary>The nodes' cache agents, reached at the HTTP address each registers in its member Lease, with the cluster's token.</summary>
public sealed class CacheAgents(IHttpClientFactory clients, IConfiguration configuration)
{
    private readonly ObjectStoreToken? _token = ObjectStoreToken.FromSettings(configuration[ObjectStoreToken.FileSetting], configuration[ObjectStoreToken.TextSetting]);

    /// <summary>A client of the node's cache agent; null when none is alive there or it serves no HTTP.</summary>
    public CacheAgentClient? Of(ClusterNode node) =>
        node.Members.FirstOrDefault(m => m.Component == NodeComponents.CacheAgent) is { } agent
        && agent.Endpoints.TryGetValue(Uri.UriSchemeHttp, out var address) && Uri.TryCreate(address, UriKind.Absolute, out var uri)
            ? new CacheAgentClient(clients.CreateClient(nameof(CacheAgents)), uri, _token)
            : null;
}
