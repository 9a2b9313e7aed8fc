using System.Net;
using Fluid.Aspire.CacheAgent.Client;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.ObjectStore.Rpc;

namespace Fluid.Aspire.CacheAgent.Caching;

/// <summary>
/// The agent's HTTP API (<see cref="CacheAgentRoutes"/>): the controller assigns and releases runtimes and reads their
/// worker status; readers list a dataset's files and read them through the cache. Every call over TCP needs the
/// cluster's token; without one configured, only callers on this machine are served. The node's socket
/// (<see cref="AgentSocket"/>) serves reads to whoever may open it.
/// </summary>
internal static class CacheEndpoints
{
    public static void MapCacheApi(this WebApplication app)
    {
        var token = ObjectStoreToken.FromSettings(app.Configuration[ObjectStoreToken.FileSetting], app.Configuration[ObjectStoreToken.TextSetting]);
        var api = app.MapGroup("").AddEndpointFilter(async (context, next) =>
            Allowed(context.HttpContext, token) ? await next(context)
            : Results.Text($"The cache agent needs the cluster's token as a bearer token; give the caller the token file ({ObjectStoreToken.FileSetting}).", statusCode: 401));

        api.MapGet(CacheAgentRoutes.Runtimes, (CacheRuntimes runtimes) =>
            runtimes.All().ToDictionary(r => r.Runtime, r => r.Served.Status(runtimes.Node), StringComparer.Ordinal));

        api.MapPut(CacheAgentRoutes.Runtime, async (string @namespace, string name, HttpRequest request, CacheRuntimes runtimes, CancellationToken cancellationToken) =>
        {
            CacheAssignment? assignment;
            try
            {
                assignment = await request.ReadFromJsonAsync<CacheAssignment>(ResourceJson.Options, cancellationToken);
            }
            catch (System.Text.Json.JsonException e)
            {
                return Results.Text($"The assignment is not valid JSON of a CacheAssignment: {e.Message}", statusCode: 400);
            }

            if (assignment is null)
            {
                return Results.Text("The assignment is empty; send a CacheAssignment with the dataset's spec.", statusCode: 400);
            }

            try
            {
                return Results.Json(await runtimes.AssignAsync(@namespace, name, assignment, cancellationToken), ResourceJson.Options);
            }
            catch (ArgumentException e)
            {
                return Results.Text($"Cache runtime {@namespace}/{name} cannot be served on node {runtimes.Node}: {e.Message}", statusCode: 400);
            }
            catch (IOException e)
            {
                return Results.Text($"Cache runtime {@namespace}/{name} cannot be served on node {runtimes.Node}: {e.Message}", statusCode: 500);
            }
        });

        api.MapGet(CacheAgentRoutes.Runtime, (string @namespace, string name, CacheRuntimes runtimes) =>
            runtimes.Find(@namespace, name) is { } served ? Results.Json(served.Status(runtimes.Node), ResourceJson.Options) : NotServed(@namespace, name, runtimes));

        api.MapDelete(CacheAgentRoutes.Runtime, async (string @namespace, string name, bool? evict, CacheRuntimes runtimes, CancellationToken cancellationToken) =>
            await runtimes.ReleaseAsync(@namespace, name, evict == true, cancellationToken) ? Results.NoContent() : NotServed(@namespace, name, runtimes));

        api.MapGet(CacheAgentRoutes.Files, async (string @namespace, string name, CacheRuntimes runtimes, CancellationToken cancellationToken) =>
        {
            if (runtimes.Find(@namespace, name) is not { } served)
            {
                return NotServed(@namespace, name, runtimes);
            }

            var listing = await served.Dataset.ListAsync(cancellationToken);
            return Results.Json(
                new DatasetFileListing(listing.ListedAt, listing.TotalBytes, [.. listing.Files.Select(f => new DatasetFileEntry(f.Path, f.Length, f.Version))]),
                ResourceJson.Options);
        });

        api.MapGet(CacheAgentRoutes.Content, async (string @namespace, string name, string? path, CacheRuntimes runtimes, CancellationToken cancellationToken) =>
        {
            if (runtimes.Find(@namespace, name) is not { } served)
            {
                return NotServed(@namespace, name, runtimes);
            }

            if (string.IsNullOrEmpty(path))
            {
                return Results.Text("Say which file with ?path=, e.g. ?path=/sales/2024/jan.csv.", statusCode: 400);
            }

            try
            {
                var stream = await served.Dataset.OpenReadAsync(path, cancellationToken);
                return Results.Stream(stream, "application/octet-stream", enableRangeProcessing: true);
            }
            catch (FileNotFoundException e)
            {
                return Results.Text(e.Message, statusCode: 404);
            }
        });
    }

    private static IResult NotServed(string namespaceName, string name, CacheRuntimes runtimes) =>
        Results.Text($"Node {runtimes.Node}'s cache agent does not serve cache runtime {namespaceName}/{name}.", statusCode: 404);

    private static bool Allowed(HttpContext context, ObjectStoreToken? token) =>
        OnSocket(context) ? HttpMethods.IsGet(context.Request.Method)
        : token is null
            ? context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address)
            : token.Matches(context.Request.Headers.Authorization.ToString());

    /// <summary>Whether the call came through the node's socket: the agent's other listeners are TCP, which have an IP address.</summary>
    private static bool OnSocket(HttpContext context) => context.Connection.LocalIpAddress is null;
}
