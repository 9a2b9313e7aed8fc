using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.Contracts.Validation;
using k8s;

namespace Fluid.Aspire.Cluster.Kubernetes;

/// <summary>
/// The resource store on the Kubernetes API, through KubernetesClient's configured HTTP pipeline (its kubeconfig or
/// in-cluster credentials, TLS and token): the same code reads and writes resources against a cluster's API server
/// and against the local stack's <c>fluid-apiserver</c>. Objects travel in their one JSON form
/// (<see cref="ResourceJson"/>), and the API's Status errors become the store's exceptions.
/// </summary>
public sealed class KubernetesResourceStore(k8s.Kubernetes kubernetes) : IResourceStore
{
    private const int PageSize = 500;

    /// <summary>The API server's URL, for messages.</summary>
    public Uri Server => kubernetes.BaseUri;

    public async Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken = default)
        where T : Resource
    {
        var created = (T)resource.Clone();
        created.Metadata.NamespaceProperty = Namespace(created.Metadata.NamespaceProperty);
        // Checked here as well as by the server, so that the message is the rule table's whatever the server.
        ResourceValidator.EnsureValid(created);
        return await SendAsync<T>(HttpMethod.Post, Collection<T>(created.Metadata.NamespaceProperty), created, created, cancellationToken)
            ?? throw new ResourceStoreException($"The API server answered the create of {created} with no object.");
    }

    public async Task<T?> GetAsync<T>(string name, string? namespaceName = null, CancellationToken cancellationToken = default)
        where T : Resource
    {
        try
        {
            return await SendAsync<T>(HttpMethod.Get, Item<T>(name, namespaceName), null, null, cancellationToken);
        }
        catch (ResourceNotFoundException)
        {
            return null;
        }
    }

    public async Task<ResourceList<T>> ListAsync<T>(
        string? namespaceName = null, IReadOnlyDictionary<string, string>? labels = null, CancellationToken cancellationToken = default)
        where T : Resource
    {
        var items = new List<T>();
        var selector = labels is { Count: > 0 } ? "&labelSelector=" + Uri.EscapeDataString(string.Join(',', labels.Select(l => $"{l.Key}={l.Value}"))) : "";
        string? next = null;
        while (true)
        {
            using var page = await SendRawAsync(HttpMethod.Get,
                $"{Collection<T>(namespaceName)}?limit={PageSize}{selector}{(next is null ? "" : "&continue=" + Uri.EscapeDataString(next))}", null, null, cancellationToken);
            if (page.RootElement.TryGetProperty("items", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in list.EnumerateArray())
                {
                    items.Add(Decode<T>(item));
                }
            }

            next = ListMetadata(page, "continue");
            if (string.IsNullOrEmpty(next))
            {
                return new ResourceList<T>(items, ListMetadata(page, "resourceVersion") ?? "");
            }
        }
    }

    public Task<T> UpdateAsync<T>(T resource, CancellationToken cancellationToken = default)
        where T : Resource => PutAsync(resource, "", cancellationToken);

    public Task<T> UpdateStatusAsync<T>(T resource, CancellationToken cancellationToken = default)
        where T : Resource => PutAsync(resource, "/status", cancellationToken);

    public async Task<T?> DeleteAsync<T>(string name, string? namespaceName = null, CancellationToken cancellationToken = default)
        where T : Resource
    {
        var last = await SendAsync<T>(HttpMethod.Delete, Item<T>(name, namespaceName), null, null, cancellationToken);
        // The object comes back either way: still there with a deletionTimestamp (waiting for finalizers), or as it last was.
        return last is { Metadata: { DeletionTimestamp: not null, Finalizers.Count: > 0 } } ? last : null;
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(
        string? namespaceName = null, string? resourceVersion = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : Resource
    {
        // Without a version the store's contract is "changes from now"; the API would first replay every object.
        if (resourceVersion is null)
        {
            using var now = await SendRawAsync(HttpMethod.Get, $"{Collection<T>(namespaceName)}?limit=1", null, null, cancellationToken);
            resourceVersion = ListMetadata(now, "resourceVersion");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get,
            Url($"{Collection<T>(namespaceName)}?watch=true&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion ?? "")}"));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Refused(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), null);
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        while (await CallAsync(() => reader.ReadLineAsync(cancellationToken).AsTask()) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            // One pass into the model: a watch brings every change of the kind, and this is most of an informer's work.
            using var change = JsonDocument.Parse(line);
            var root = change.RootElement;
            var value = root.GetProperty("object");
            switch (root.TryGetProperty("type", out var type) ? type.GetString() : null)
            {
                case "ADDED":
                    yield return new WatchEvent<T>(WatchEventType.Added, Decode<T>(value));
                    break;
                case "MODIFIED":
                    yield return new WatchEvent<T>(WatchEventType.Modified, Decode<T>(value));
                    break;
                case "DELETED":
                    yield return new WatchEvent<T>(WatchEventType.Deleted, Decode<T>(value));
                    break;
                case "ERROR":
                    throw Refused((HttpStatusCode)(value.TryGetProperty("code", out var code) && code.TryGetInt32(out var status) ? status : 500), value.GetRawText(), null);
            }
        }

        throw new ResourceStoreUnavailableException($"The API server at {Server} ended the watch of {ResourceKinds.Of<T>().Plural}; list again and watch from the list's version.");
    }

    private async Task<T> PutAsync<T>(T resource, string subresource, CancellationToken cancellationToken)
        where T : Resource
    {
        var meta = resource.Metadata;
        if (meta.ResourceVersion is null)
        {
            throw new ResourceConflictException(
                $"{ResourceKinds.Of<T>().Kind} {Namespace(meta.NamespaceProperty)}/{meta.Name} has no metadata.resourceVersion; read it first and update what you read.");
        }

        return await SendAsync<T>(HttpMethod.Put, Item<T>(meta.Name, meta.NamespaceProperty) + subresource, resource, resource, cancellationToken)
            ?? throw new ResourceStoreException($"The API server answered the update of {resource} with no object.");
    }

    private async Task<T?> SendAsync<T>(HttpMethod method, string path, Resource? body, Resource? about, CancellationToken cancellationToken)
        where T : Resource
    {
        using var answer = await SendRawAsync(method, path, body, about, cancellationToken);
        return answer.RootElement.TryGetProperty("kind", out var kind) && kind.ValueEquals("Status") ? null : Decode<T>(answer.RootElement);
    }

    private async Task<JsonDocument> SendRawAsync(HttpMethod method, string path, Resource? body, Resource? about, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, Url(path));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(ResourceJson.SerializeToUtf8Bytes(body));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Refused(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), about);
        }

        var answer = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        if (answer.RootElement.ValueKind != JsonValueKind.Object)
        {
            answer.Dispose();
            throw new ResourceStoreException($"The API server answered {method} {path} with JSON that is not an object.");
        }

        return answer;
    }

    /// <summary>Sends with the kubeconfig's credentials (a token, a client certificate's handler is the client's own).</summary>
    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken) =>
        CallAsync(async () =>
        {
            if (kubernetes.Credentials is { } credentials)
            {
                await credentials.ProcessHttpRequestAsync(request, cancellationToken);
            }

            return await kubernetes.HttpClient.SendAsync(request, completion, cancellationToken);
        });

    /// <summary>The store's exception for a refusal, from the API's Status body.</summary>
    private Exception Refused(HttpStatusCode code, string body, Resource? about)
    {
        JsonNode? status = null;
        try
        {
            status = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            // Not a Status body (a proxy's page?): the text itself is the message.
        }

        var message = status?["message"]?.GetValue<string>() ?? $"{(int)code} {code}: {body}";
        var reason = status?["reason"]?.GetValue<string>();
        return (int)code switch
        {
            404 => new ResourceNotFoundException(message),
            409 when reason == "AlreadyExists" => new ResourceAlreadyExistsException(message + "; delete it first, or choose another name."),
            409 => new ResourceConflictException(message),
            410 => new ResourceExpiredException(message),
            422 when about is not null => new ResourceInvalidException(about,
                [.. (status?["details"]?["causes"] as JsonArray ?? []).Select(c => new FieldError(c?["field"]?.GetValue<string>() ?? "", c?["message"]?.GetValue<string>() ?? ""))]),
            422 => new ResourceInvalidException(message),
            401 or 403 => new ResourceStoreException($"The API server at {Server} refused the credentials of this kubeconfig: {message}"),
            >= 500 => new ResourceStoreUnavailableException($"The API server at {Server} failed: {message}"),
            _ => new ResourceStoreException(message),
        };
    }

    /// <summary>A call whose transport failure becomes <see cref="ResourceStoreUnavailableException"/>.</summary>
    private async Task<TResult> CallAsync<TResult>(Func<Task<TResult>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new ResourceStoreUnavailableException($"The Kubernetes API at {Server} is unreachable ({ex.Message}); is the stack running?", ex);
        }
    }

    /// <summary>An absolute URL: KubernetesClient's HTTP client has no base address of its own.</summary>
    private Uri Url(string path) => new(new Uri(Server.ToString().TrimEnd('/') + "/"), path);

    private static T Decode<T>(JsonElement value)
        where T : Resource => value.Deserialize<T>(ResourceJson.Options) ?? throw new ResourceStoreException("The API server sent a JSON null object.");

    /// <summary>A field of a list's metadata (<c>continue</c>, <c>resourceVersion</c>), or null.</summary>
    private static string? ListMetadata(JsonDocument list, string field) =>
        list.RootElement.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static string Collection<T>(string? namespaceName)
        where T : Resource
    {
        var kind = ResourceKinds.Of<T>();
        var root = $"apis/{kind.ApiVersion}";
        return namespaceName is null ? $"{root}/{kind.Plural}" : $"{root}/namespaces/{Uri.EscapeDataString(namespaceName)}/{kind.Plural}";
    }

    private static string Item<T>(string name, string? namespaceName)
        where T : Resource => $"{Collection<T>(Namespace(namespaceName))}/{Uri.EscapeDataString(name)}";

    private static string Namespace(string? namespaceName) => string.IsNullOrEmpty(namespaceName) ? Resource.DefaultNamespace : namespaceName;
}
