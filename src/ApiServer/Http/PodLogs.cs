using System.Text.Json.Nodes;
using Fluid.Aspire.ApiServer.Kinds;
using Fluid.Aspire.ApiServer.Storage;

namespace Fluid.Aspire.ApiServer.Http;

/// <summary>
/// <c>pods/{name}/log</c>, as kube-apiserver serves it: the pod's node names the kubelet (its Node's InternalIP and
/// <c>daemonEndpoints.kubeletEndpoint</c>), whose <c>/containerLogs</c> answer is streamed back, <c>follow</c> included.
/// </summary>
internal sealed class PodLogs(ObjectRegistry registry) : IDisposable
{
    // Its own client: a followed log streams for as long as the step runs, past any request timeout or retry.
    private readonly HttpClient _client = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The query parameters of <c>kubectl logs</c> that the kubelet reads.</summary>
    private static readonly string[] Forwarded = ["follow", "previous", "timestamps", "tailLines", "limitBytes", "sinceSeconds", "sinceTime"];

    public async Task HandleAsync(HttpContext context, string @namespace, string name)
    {
        var cancellationToken = context.RequestAborted;
        var pod = await registry.GetRequiredAsync(ServedKinds.Pod, @namespace, name, cancellationToken);
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => c?["name"]?.GetValue<string>() ?? "").ToList();
        string? container = context.Request.Query["container"];
        if (string.IsNullOrEmpty(container))
        {
            container = containers.Count == 1 ? containers[0]
                : throw ApiException.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(' ', containers)}]");
        }
        else if (!containers.Contains(container))
        {
            throw ApiException.BadRequest($"container {container} is not valid for pod {name}");
        }

        var nodeName = pod["spec"]?["nodeName"]?.GetValue<string>();
        if (string.IsNullOrEmpty(nodeName))
        {
            throw ApiException.BadRequest($"pod {name} does not have a host assigned");
        }

        var kubelet = await KubeletOfAsync(nodeName, cancellationToken);
        var query = string.Join('&', Forwarded.Where(context.Request.Query.ContainsKey)
            .Select(key => $"{key}={Uri.EscapeDataString(context.Request.Query[key].ToString())}"));
        var url = new Uri(kubelet, $"containerLogs/{Uri.EscapeDataString(@namespace)}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(container)}?{query}");
        using var response = await SendAsync(url, nodeName, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var message = await response.Content.ReadAsStringAsync(cancellationToken);
            throw (int)response.StatusCode switch
            {
                404 => ApiException.NotFound(message),
                < 500 => ApiException.BadRequest(message),
                var code => ApiException.ServiceUnavailable($"the kubelet of node {nodeName} failed ({code}) to read the log; its log says why"),
            };
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            // Flushed as it comes, so that kubectl logs -f prints lines as the step writes them.
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            await context.Response.Body.FlushAsync(cancellationToken);
        }
    }

    private async Task<Uri> KubeletOfAsync(string nodeName, CancellationToken cancellationToken)
    {
        var node = await registry.GetAsync(ServedKinds.Node, null, nodeName, cancellationToken)
            ?? throw ApiException.NotFound($"node {nodeName}, where the pod is bound, does not exist: its kubelet cannot be asked for the log");
        var address = (node["status"]?["addresses"] as JsonArray ?? [])
            .FirstOrDefault(a => a?["type"]?.GetValue<string>() == "InternalIP")?["address"]?.GetValue<string>();
        var port = node["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"]?.GetValue<int>() ?? 0;
        return string.IsNullOrEmpty(address) || port == 0
            ? throw ApiException.ServiceUnavailable(
                $"node {nodeName} has no kubelet endpoint in its status (status.addresses and status.daemonEndpoints.kubeletEndpoint): no kubelet runs it; on a laptop its cache agent is its kubelet")
            : new Uri($"http://{address}:{port}/");
    }

    private async Task<HttpResponseMessage> SendAsync(Uri url, string nodeName, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw ApiException.ServiceUnavailable($"the kubelet of node {nodeName} ({url.GetLeftPart(UriPartial.Authority)}) did not answer: {ex.Message}");
        }
    }

    public void Dispose() => _client.Dispose();
}
