using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.ObjectStore.Rpc;

namespace Fluid.Aspire.CacheAgent.Client;

/// <summary>
/// Calls one node's cache agent over HTTP, every request with the cluster's token. Errors are
/// <see cref="CacheAgentException"/>s carrying the agent's own explanation.
/// </summary>
/// <param name="http">A client to send with (shared; not disposed here).</param>
/// <param name="agent">The agent's address, e.g. <c>http://10.0.0.7:8080</c>.</param>
/// <param name="token">The cluster's token; null where the agent asks for none.</param>
public sealed class CacheAgentClient(HttpClient http, Uri agent, ObjectStoreToken? token)
{
    /// <summary>The agent's address.</summary>
    public Uri Agent { get; } = agent;

    /// <summary>Makes the agent serve the runtime's dataset as given (again, if it served another version of it); returns its worker status.</summary>
    public async Task<CacheWorkerStatus> AssignAsync(string namespaceName, string name, CacheAssignment assignment, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Put, CacheAgentRoutes.Of(CacheAgentRoutes.Runtime, namespaceName, name));
        request.Content = JsonContent.Create(assignment, options: ResourceJson.Options);
        return await SendAsync<CacheWorkerStatus>(request, cancellationToken) ?? throw Empty(request);
    }

    /// <summary>The agent's worker status for the runtime; null when it does not serve it.</summary>
    public async Task<CacheWorkerStatus?> GetStatusAsync(string namespaceName, string name, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, CacheAgentRoutes.Of(CacheAgentRoutes.Runtime, namespaceName, name));
        return await SendAsync<CacheWorkerStatus>(request, cancellationToken, notFoundIsNull: true);
    }

    /// <summary>Stops serving the runtime; with <paramref name="evict"/>, its blocks go too. Nothing happens when it is not served.</summary>
    public async Task ReleaseAsync(string namespaceName, string name, bool evict, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Delete, CacheAgentRoutes.Of(CacheAgentRoutes.Runtime, namespaceName, name) + (evict ? "?evict=true" : ""));
        await SendAsync<object>(request, cancellationToken, notFoundIsNull: true);
    }

    /// <summary>The dataset's files as the agent listed them (waiting for its first listing).</summary>
    public async Task<DatasetFileListing> ListFilesAsync(string namespaceName, string name, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, CacheAgentRoutes.Of(CacheAgentRoutes.Files, namespaceName, name));
        var listing = await SendAsync<DatasetFileListing>(request, cancellationToken) ?? throw Empty(request);
        // JSON leaves an empty list out.
        return listing.Files is null ? listing with { Files = [] } : listing;
    }

    /// <summary>
    /// A file's bytes from <paramref name="offset"/> to its end, read through the agent's cache as they come; the
    /// caller disposes the stream.
    /// </summary>
    public async Task<Stream> OpenReadAsync(string namespaceName, string name, string path, long offset, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, CacheAgentRoutes.Of(CacheAgentRoutes.Content, namespaceName, name) + "?path=" + Uri.EscapeDataString(path));
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await FailureAsync(request, response, cancellationToken);
            }
        }

        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(Agent, path));
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", token.AuthorizationValue);
        }

        return request;
    }

    private async Task<T?> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken, bool notFoundIsNull = false)
        where T : class
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CacheAgentException($"The cache agent at {Agent} cannot be reached ({request.Method} {request.RequestUri!.AbsolutePath}): {e.Message}", null, e);
        }

        using (response)
        {
            if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await FailureAsync(request, response, cancellationToken);
            }

            return response.Content.Headers.ContentLength == 0
                ? null
                : await response.Content.ReadFromJsonAsync<T>(ResourceJson.Options, cancellationToken);
        }
    }

    private async Task<CacheAgentException> FailureAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var detail = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
        return new CacheAgentException(
            $"The cache agent at {Agent} answered {request.Method} {request.RequestUri!.AbsolutePath} with {(int)response.StatusCode} {response.ReasonPhrase}" +
            (detail.Length > 0 ? $": {detail}" : "."),
            response.StatusCode);
    }

    private CacheAgentException Empty(HttpRequestMessage request) =>
        new($"The cache agent at {Agent} answered {request.Method} {request.RequestUri!.AbsolutePath} with no body.", null);
}

/// <summary>A call to a cache agent failed: unreachable, refused, or the agent's own error (its message included).</summary>
public sealed class CacheAgentException(string message, HttpStatusCode? status, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The agent's answer, when it answered.</summary>
    public HttpStatusCode? Status { get; } = status;
}
