using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Hosting;

/// <summary>
/// Derives the stack's state from its components: Starting until every component is healthy, then Running;
/// Degraded when a component stops being healthy after that. Resources that <c>WaitFor</c> the stack therefore start
/// once the whole stack works.
/// </summary>
internal static class FluidStateMonitor
{
    private const string Degraded = "Degraded";

    public static void Attach(IResourceBuilder<FluidResource> stack)
    {
        stack.ApplicationBuilder.Eventing.Subscribe<InitializeResourceEvent>(stack.Resource, (e, cancellationToken) =>
        {
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = FollowAsync(stack.Resource, e.Notifications, e.Logger, stopping);
            return Task.CompletedTask;
        });
    }

    private static async Task FollowAsync(
        FluidResource fluid, ResourceNotificationService notifications, ILogger logger, CancellationToken stopping)
    {
        var healthy = new Dictionary<string, bool>(StringComparer.Ordinal);
        var wasRunning = false;
        try
        {
            await Publish(fluid, notifications, KnownResourceStates.Starting, fluid.Components.Select(c => c.Name));
            await foreach (var update in notifications.WatchAsync(stopping))
            {
                var components = fluid.Components.Select(c => c.Name).ToArray();
                if (!components.Contains(update.Resource.Name))
                {
                    continue;
                }

                healthy[update.Resource.Name] = update.Snapshot.State?.Text == KnownResourceStates.Running
                    && update.Snapshot.HealthStatus == HealthStatus.Healthy;
                var waitingFor = components.Where(c => !healthy.GetValueOrDefault(c)).ToArray();
                if (waitingFor.Length == 0 && !wasRunning)
                {
                    wasRunning = true;
                    logger.LogInformation("Every component of {Stack} is healthy.", fluid.Name);
                    await Publish(fluid, notifications, KnownResourceStates.Running, waitingFor);
                }
                else if (waitingFor.Length > 0 && wasRunning)
                {
                    wasRunning = false;
                    logger.LogWarning("{Stack} is degraded: {Components} not healthy.", fluid.Name, string.Join(", ", waitingFor));
                    await Publish(fluid, notifications, Degraded, waitingFor);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The application is stopping; the stack's state no longer matters.
        }
    }

    private static Task Publish(FluidResource fluid, ResourceNotificationService notifications, string state, IEnumerable<string> unhealthy) =>
        notifications.PublishUpdateAsync(fluid, snapshot => snapshot with
        {
            State = new ResourceStateSnapshot(state, state == KnownResourceStates.Running ? KnownResourceStateStyles.Success : KnownResourceStateStyles.Info),
            StartTimeStamp = snapshot.StartTimeStamp ?? DateTime.UtcNow,
            Properties = [new("fluid.nodes", fluid.Nodes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("fluid.unhealthy", string.Join(", ", unhealthy))],
        });
}
