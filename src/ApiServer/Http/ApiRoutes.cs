using System.Text.Json.Nodes;
using k8s;

namespace Fluid.Aspire.ApiServer.Http;

/// <summary>The URL space of the local Kubernetes API: version, discovery, OpenAPI, and the resources.</summary>
internal static class ApiRoutes
{
    public static WebApplication MapKubernetesApi(this WebApplication app)
    {
        app.MapGet("/version", () => Json(KubernetesJson.Serialize(Discovery.Version)));
        app.MapGet("/api", (HttpContext context) => Json(KubernetesJson.Serialize(Discovery.CoreVersions($"{context.Request.Host}"))));
        app.MapGet("/apis", () => Json(KubernetesJson.Serialize(Discovery.Groups())));
        app.MapGet("/apis/{group}", (string group) =>
            Discovery.Group(group) is { } found ? Json(KubernetesJson.Serialize(found)) : NotFound($"the server could not find the requested resource: API group {group} is not served"));
        app.MapGet("/openapi/v3", (OpenApiDocuments documents) => Json(documents.Index()));
        app.MapGet("/openapi/v3/{**path}", (string path, OpenApiDocuments documents) =>
            documents.Find(path) is { } document ? Json(document) : NotFound($"the server could not find the requested resource: no OpenAPI document for {path}"));
        app.MapGet("/openapi/v2", () => NotFound("the local API serves OpenAPI v3 only (/openapi/v3)"));
        app.MapGet("/api/v1/namespaces/{namespace}/pods/{name}/log", (HttpContext context, string @namespace, string name, PodLogs logs) =>
            logs.HandleAsync(context, @namespace, name));
        app.Map("/api/{version}/{**rest}", (HttpContext context, string version, string? rest, ResourceEndpoints endpoints) =>
            HandleAsync(context, "", version, rest, endpoints));
        app.Map("/apis/{group}/{version}/{**rest}", (HttpContext context, string group, string version, string? rest, ResourceEndpoints endpoints) =>
            HandleAsync(context, group, version, rest, endpoints));
        return app;
    }

    private static async Task HandleAsync(HttpContext context, string group, string version, string? rest, ResourceEndpoints endpoints)
    {
        if (string.IsNullOrEmpty(rest))
        {
            var resources = Discovery.Resources(group, version)
                ?? throw ApiException.NotFound($"the server could not find the requested resource: {(group.Length == 0 ? "" : group + "/")}{version} is not served");
            await ResourceEndpoints.WriteJsonAsync(context, 200, JsonNode.Parse(KubernetesJson.Serialize(resources))!);
            return;
        }

        await endpoints.HandleAsync(context, group, version, rest.Split('/', StringSplitOptions.RemoveEmptyEntries));
    }

    private static IResult Json(string json) => Results.Content(json, "application/json");

    private static IResult NotFound(string message) =>
        Results.Content(ApiException.NotFound(message).ToStatus().ToJsonString(), "application/json", statusCode: 404);
}
