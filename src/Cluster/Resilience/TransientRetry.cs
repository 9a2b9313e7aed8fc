using System.Net;
using Grpc.Core;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Fluid.Aspire.Cluster.Resilience;

/// <summary>
/// The retry policy of the loops that must outlive an outage of etcd or of the Kubernetes API (registration, watches): retry transport failures
/// for ever, backing off exponentially with jitter up to a few seconds, and say so in the log.
/// </summary>
public static class TransientRetry
{
    public static ResiliencePipeline Forever(ILogger logger, string activity) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = args =>
                {
                    logger.LogWarning("{Activity} failed ({Reason}); retrying in {Delay} ms (attempt {Attempt}).",
                        activity, args.Outcome.Exception?.Message, (int)args.RetryDelay.TotalMilliseconds, args.AttemptNumber + 1);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    /// <summary>Failures that a later attempt can cure: etcd or the API server unreachable, restarting, overloaded, or a broken stream.</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        HttpOperationException http => http.Response.StatusCode is HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError,
        RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal
            or StatusCode.Unknown or StatusCode.Aborted or StatusCode.ResourceExhausted,
        IOException or HttpRequestException => true,
        _ => false,
    };
}
