using Microsoft.Extensions.Hosting;

namespace Fluid.Aspire.Cluster;

/// <summary>Waiting for the host to be fully started: daemons register only once their endpoints are bound.</summary>
public static class HostLifetimeExtensions
{
    /// <summary>Completes when the application has started; cancelled when <paramref name="stoppingToken"/> is.</summary>
    public static Task WhenStartedAsync(this IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        return started.Task;
    }
}
