using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.ApiServer.Http;

/// <summary>
/// Turns a refused request into Kubernetes' Status body (and an unexpected failure into a 500 that says what broke),
/// and lets through only requests that carry the server's bearer token; <c>/version</c> and the health probes are
/// public, as a cluster's are.
/// </summary>
internal sealed class ApiMiddleware(RequestDelegate next, IOptions<ApiServerOptions> options, ILogger<ApiMiddleware> logger)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes("Bearer " + options.Value.Token);

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            if (!IsPublic(context.Request.Path) && !HasToken(context.Request))
            {
                throw ApiException.Unauthorized(
                    "Unauthorized: send the stack's bearer token (the kubeconfig that ./run.sh --dashboard writes to artifacts/kubeconfig has it)");
            }

            await next(context);
        }
        catch (ApiException ex) when (!context.Response.HasStarted)
        {
            await WriteStatusAsync(context, ex);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone; there is nobody to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            logger.LogError(ex, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            await WriteStatusAsync(context, null, ex);
        }
    }

    private static Task WriteStatusAsync(HttpContext context, ApiException? refused, Exception? failure = null)
    {
        var status = refused?.ToStatus() ?? ApiException.Status(500, "InternalError", $"an error on the server ({failure!.GetType().Name}: {failure.Message}) has prevented the request from succeeding");
        return ResourceEndpoints.WriteJsonAsync(context, status["code"]!.GetValue<int>(), status);
    }

    private bool HasToken(HttpRequest request) =>
        request.Headers.Authorization.ToString() is { Length: > 0 } header &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), _expected);

    private static bool IsPublic(PathString path) =>
        path == "/version" || path == "/health" || path == "/alive" || path == "/livez" || path == "/readyz" || path == "/healthz";
}
