using Fluid.Aspire.Cluster.Membership;

namespace Fluid.Aspire.Controller.Nodes;

/// <summary>The controller's read API over the cluster's nodes, as seen live from etcd.</summary>
public static class NodeApi
{
    public static IEndpointRouteBuilder MapNodeApi(this IEndpointRouteBuilder routes)
    {
        var nodes = routes.MapGroup("/api/v1/nodes").WithTags("Nodes");
        nodes.MapGet("/", (NodeDirectory directory) => directory.Nodes);
        nodes.MapGet("/{name}", (string name, NodeDirectory directory) =>
            directory.Nodes.FirstOrDefault(n => n.Name == name) is { } node
                ? Results.Ok(node)
                : Results.Problem(
                    statusCode: StatusCodes.Status404NotFound,
                    title: $"Node '{name}' is not registered.",
                    detail: "A node is listed while at least one of its daemons (object store, cache agent) is alive. " +
                        "GET /api/v1/nodes lists the live nodes."));
        return routes;
    }
}
