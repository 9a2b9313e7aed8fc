using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Aspire.ApiServer.Kinds;
using Fluid.Aspire.ApiServer.Selectors;
using Fluid.Aspire.ApiServer.Storage;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.ApiServer.Http;

/// <summary>The verbs on objects and collections: HTTP in, <see cref="ObjectRegistry"/> calls, JSON or Table out.</summary>
internal sealed class ResourceEndpoints(ObjectRegistry registry, TimeProvider clock, IOptions<ApiServerOptions> options)
{
    public async Task HandleAsync(HttpContext context, string group, string version, IReadOnlyList<string> segments)
    {
        var path = ResourcePath.Parse(group, version, segments);
        var request = context.Request;
        var query = request.Query;
        var cancellationToken = context.RequestAborted;
        var kind = path.Kind;
        switch (request.Method)
        {
            case "GET" when path.Name is null && IsTrue(query["watch"]):
                await WatchAsync(context, path);
                break;
            case "GET" when path.Name is null:
                await ListAsync(context, path);
                break;
            case "GET":
                await WriteObjectAsync(context, kind, 200, await registry.GetRequiredAsync(kind, path.Namespace, path.Name, cancellationToken));
                break;
            case "POST" when path.Name is null && !path.Status:
                RequireNamespace(path);
                var created = await registry.CreateAsync(kind, path.Namespace, await ReadObjectAsync(request, kind), FieldValidationOf(query), IsDryRun(query), cancellationToken);
                await WriteObjectAsync(context, kind, 201, created.Value, created.Warnings);
                break;
            case "PUT" when path.Name is not null:
                var updated = await registry.UpdateAsync(
                    kind, path.Namespace, path.Name, await ReadObjectAsync(request, null), path.Status, FieldValidationOf(query), IsDryRun(query), cancellationToken);
                await WriteObjectAsync(context, kind, 200, updated.Value, updated.Warnings);
                break;
            case "PATCH" when path.Name is not null:
                var patched = await registry.PatchAsync(
                    kind, path.Namespace, path.Name, PatchTypeOf(kind, request.ContentType), await ReadJsonAsync(request), path.Status,
                    FieldValidationOf(query), IsDryRun(query), cancellationToken);
                await WriteObjectAsync(context, kind, 200, patched.Value, patched.Warnings);
                break;
            case "DELETE" when path.Name is not null && !path.Status:
                var deletion = await registry.DeleteAsync(kind, path.Namespace, path.Name, await ReadDeleteOptionsAsync(request), cancellationToken);
                await WriteObjectAsync(context, kind, 200, deletion.Value);
                break;
            case "DELETE" when path.Name is null:
                await DeleteCollectionAsync(context, path);
                break;
            default:
                throw ApiException.MethodNotAllowed(
                    $"{request.Method} is not allowed on {request.Path}: objects take GET, PUT, PATCH and DELETE; collections GET, POST and DELETE; status GET, PUT and PATCH");
        }
    }

    private async Task ListAsync(HttpContext context, ResourcePath path)
    {
        var query = context.Request.Query;
        var matches = Filter(path.Kind, query);
        var limit = long.TryParse(query["limit"], CultureInfo.InvariantCulture, out var l) && l > 0 ? l : 0;
        var (revision, after) = ContinueToken.Parse(query["continue"]);
        if (after is null && query["resourceVersionMatch"] == "Exact")
        {
            revision = ParseVersion(query["resourceVersion"]) ?? throw ApiException.BadRequest("resourceVersionMatch=Exact needs a resourceVersion");
        }

        var page = await registry.Storage.ListAsync(path.Kind, path.Namespace, matches ?? ObjectRegistry.Everything, limit, revision, after, context.RequestAborted);
        var metadata = new JsonObject { ["resourceVersion"] = page.Revision.ToString(CultureInfo.InvariantCulture) };
        if (page.ContinueAfter is { } next)
        {
            metadata["continue"] = ContinueToken.Create(page.Revision, next);
        }

        if (Tables.IsRequested(context.Request.Headers.Accept, out var tableVersion))
        {
            await WriteJsonAsync(context, 200, Tables.Create(path.Kind, page.Items, clock.GetUtcNow(), tableVersion, IncludeObject(query), withColumns: true, metadata));
            return;
        }

        await WriteJsonAsync(context, 200, new JsonObject
        {
            ["apiVersion"] = path.Kind.ApiVersion,
            ["kind"] = path.Kind.ListKind,
            ["metadata"] = metadata,
            ["items"] = new JsonArray([.. page.Items]),
        });
    }

    private async Task WatchAsync(HttpContext context, ResourcePath path)
    {
        var query = context.Request.Query;
        var matches = Filter(path.Kind, query);
        var table = Tables.IsRequested(context.Request.Headers.Accept, out var tableVersion);
        var bookmarks = IsTrue(query["allowWatchBookmarks"]) ? options.Value.BookmarkInterval : (TimeSpan?)null;
        var initialEvents = IsTrue(query["sendInitialEvents"]);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (int.TryParse(query["timeoutSeconds"], CultureInfo.InvariantCulture, out var timeout) && timeout > 0)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(timeout));
        }

        var afterRevision = initialEvents ? null : ParseVersion(query["resourceVersion"]);
        var events = registry.WatchAsync(path.Kind, path.Namespace, matches, afterRevision, initialEvents && bookmarks is not null, bookmarks, stop.Token);
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        await response.StartAsync(context.RequestAborted);
        // Sent now, not with the first event: client-go waits for the answer before it counts the watch as started.
        await response.Body.FlushAsync(context.RequestAborted);
        var first = true;
        try
        {
            await foreach (var change in events)
            {
                var value = table && change.Type != "BOOKMARK"
                    ? Tables.Create(path.Kind, [change.Value], clock.GetUtcNow(), tableVersion, IncludeObject(query), withColumns: first)
                    : change.Value;
                first &= change.Type == "BOOKMARK";
                await WriteEventAsync(response, change.Type, value, stop.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client went away or the watch's timeout ended it: both are a normal end.
        }
        catch (ApiException ex)
        {
            await WriteEventAsync(response, "ERROR", ex.ToStatus(), context.RequestAborted);
        }
    }

    private async Task DeleteCollectionAsync(HttpContext context, ResourcePath path)
    {
        var matches = Filter(path.Kind, context.Request.Query);
        var deleteOptions = await ReadDeleteOptionsAsync(context.Request);
        var page = await registry.Storage.ListAsync(path.Kind, path.Namespace, matches ?? ObjectRegistry.Everything, 0, 0, null, context.RequestAborted);
        var deleted = new JsonArray();
        foreach (var item in page.Items)
        {
            var metadata = item["metadata"]!;
            try
            {
                var deletion = await registry.DeleteAsync(path.Kind, metadata["namespace"]?.GetValue<string>(), metadata["name"]!.GetValue<string>(), deleteOptions, context.RequestAborted);
                deleted.Add(deletion.Value);
            }
            catch (ApiException ex) when (ex.Code == 404)
            {
                // Deleted by someone else meanwhile: that is what was asked.
            }
        }

        await WriteJsonAsync(context, 200, new JsonObject
        {
            ["apiVersion"] = path.Kind.ApiVersion,
            ["kind"] = path.Kind.ListKind,
            ["metadata"] = new JsonObject { ["resourceVersion"] = page.Revision.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        });
    }

    /// <summary>The request's selectors as a filter; null when it has none.</summary>
    private static Func<JsonObject, bool>? Filter(ServedKind kind, IQueryCollection query)
    {
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"], kind);
        return labels == LabelSelector.Everything && fields == FieldSelector.Everything
            ? null
            : item => labels.Matches(item) && fields.Matches(item);
    }

    private static void RequireNamespace(ResourcePath path)
    {
        if (path.Kind.Namespaced && path.Namespace is null)
        {
            throw ApiException.MethodNotAllowed(
                $"create {path.Kind.Plural} under /namespaces/{{namespace}}/{path.Kind.Plural}: the object needs a namespace");
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, string type, JsonNode value, CancellationToken cancellationToken)
    {
        // One line per event, written straight from the object: no copy of it into an envelope.
        await using (var writer = new Utf8JsonWriter(response.Body))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WritePropertyName("object");
            value.WriteTo(writer);
            writer.WriteEndObject();
        }

        await response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private Task WriteObjectAsync(HttpContext context, ServedKind kind, int status, JsonObject value, IReadOnlyList<string>? warnings = null)
    {
        foreach (var warning in warnings ?? [])
        {
            context.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }

        return Tables.IsRequested(context.Request.Headers.Accept, out var tableVersion) && context.Request.Method == "GET"
            ? WriteJsonAsync(context, status, Tables.Create(kind, [value], clock.GetUtcNow(), tableVersion,
                IncludeObject(context.Request.Query), withColumns: true))
            : WriteJsonAsync(context, status, value);
    }

    /// <summary>Writes a JSON response.</summary>
    public static async Task WriteJsonAsync(HttpContext context, int status, JsonNode value)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        value.WriteTo(writer);
        await writer.FlushAsync(context.RequestAborted);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpRequest request, ServedKind? creating)
    {
        if (request.ContentType is { } protobuf && protobuf.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.Ordinal) && creating == ServedKinds.Namespace)
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted);
            return ProtobufBody.ReadNamespace(body.ToArray());
        }

        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.Ordinal))
        {
            throw ApiException.UnsupportedMediaType(
                $"the body of the request was in an unknown format ({type}): the local API accepts application/json (kubectl apply -f sends it)");
        }

        return await ReadJsonAsync(request) as JsonObject
            ?? throw ApiException.BadRequest("the body is not a JSON object; send the object as JSON, with apiVersion, kind and metadata");
    }

    private static async Task<JsonNode> ReadJsonAsync(HttpRequest request)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted)
                ?? throw ApiException.BadRequest("the body is JSON null; send a JSON object");
        }
        catch (JsonException ex)
        {
            throw ApiException.BadRequest($"the body is not valid JSON: {ex.Message}");
        }
    }

    private static async Task<V1DeleteOptions?> ReadDeleteOptionsAsync(HttpRequest request)
    {
        V1DeleteOptions? deleteOptions = null;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                deleteOptions = KubernetesJson.Deserialize<V1DeleteOptions>(body);
            }
            catch (JsonException ex)
            {
                throw ApiException.BadRequest($"the body of a delete must be DeleteOptions: {ex.Message}");
            }
        }

        if (request.Query["propagationPolicy"] is { Count: > 0 } policy)
        {
            deleteOptions ??= new V1DeleteOptions();
            deleteOptions.PropagationPolicy = policy;
        }

        // KubernetesClient sends the grace period as a query parameter, kubectl in the body.
        if (request.Query["gracePeriodSeconds"] is { Count: > 0 } grace)
        {
            deleteOptions ??= new V1DeleteOptions();
            deleteOptions.GracePeriodSeconds = long.TryParse(grace, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? seconds
                : throw ApiException.BadRequest($"gracePeriodSeconds '{grace}' is not a whole number of seconds; write 0 to delete at once, or e.g. 30");
        }

        return deleteOptions;
    }

    private static PatchType PatchTypeOf(ServedKind kind, string? contentType) => contentType?.Split(';')[0].Trim() switch
    {
        "application/merge-patch+json" => PatchType.Merge,
        "application/strategic-merge-patch+json" when kind.Schema is null => PatchType.Strategic,
        "application/strategic-merge-patch+json" => throw ApiException.UnsupportedMediaType(
            $"strategic merge patch is not supported for {kind.QualifiedResource}, a custom resource (as in Kubernetes): use a merge patch (kubectl patch --type merge)"),
        var other => throw ApiException.UnsupportedMediaType(
            $"the patch format {other ?? "(none)"} is not served by the local API: use application/merge-patch+json (kubectl patch --type merge)" +
            (kind.Schema is null ? " or application/strategic-merge-patch+json" : "") + "; JSON patch and server-side apply are not served (docs/local-api.md)"),
    };

    private static FieldValidation FieldValidationOf(IQueryCollection query) => query["fieldValidation"].ToString() switch
    {
        "" or "Warn" => FieldValidation.Warn,
        "Strict" => FieldValidation.Strict,
        "Ignore" => FieldValidation.Ignore,
        var other => throw ApiException.BadRequest($"fieldValidation={other} is not one of Ignore, Warn, Strict"),
    };

    private static bool IsDryRun(IQueryCollection query) => query["dryRun"] switch
    {
        { Count: 0 } => false,
        var values when values.All(v => v == "All") => true,
        var values => throw ApiException.BadRequest($"dryRun={values} is not supported: use dryRun=All"),
    };

    private static string IncludeObject(IQueryCollection query) => query["includeObject"].ToString() is { Length: > 0 } value ? value : "Metadata";

    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues value) => value == "true" || value == "1";

    private static long? ParseVersion(Microsoft.Extensions.Primitives.StringValues value) =>
        value.Count == 0 || string.IsNullOrEmpty(value) ? null
        : long.TryParse(value, CultureInfo.InvariantCulture, out var revision) && revision >= 0 ? revision
        : throw ApiException.BadRequest($"resourceVersion '{value}' is not one this server wrote: use a resourceVersion from a list or an object");

    /// <summary>A list's continue token: the revision of its snapshot and the last key returned.</summary>
    private static class ContinueToken
    {
        public static string Create(long revision, string after) =>
            Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["rv"] = revision, ["start"] = after }));

        public static (long Revision, string? After) Parse(Microsoft.Extensions.Primitives.StringValues value)
        {
            if (value.Count == 0 || string.IsNullOrEmpty(value))
            {
                return (0, null);
            }

            try
            {
                var token = JsonNode.Parse(Convert.FromBase64String(value!));
                if (token?["rv"]?.GetValue<long>() is { } revision && token["start"]?.GetValue<string>() is { } after)
                {
                    return (revision, after);
                }
            }
            catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
            {
                // Reported below, as a token that is not ours.
            }

            throw ApiException.BadRequest("the continue token is not one this server wrote; list again without it");
        }
    }
}
