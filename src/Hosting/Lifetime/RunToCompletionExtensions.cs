using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Hosting.Lifetime;

/// <summary>Turns an AppHost into a one-shot run: scripts and CI get an exit code instead of a server that never ends.</summary>
public static class RunToCompletionExtensions
{
    /// <summary>
    /// Stops the whole application when this resource finishes, with its exit code as the AppHost's. Stops it with
    /// exit code 1, naming the culprit, if another resource fails to start or exits first, or if nothing has finished
    /// within <paramref name="timeout"/>. Until the resource runs, logs every few seconds what it still waits for.
    /// </summary>
    public static IResourceBuilder<T> ExitWhenFinished<T>(this IResourceBuilder<T> builder, TimeSpan timeout)
        where T : IResource
    {
        // From before the resources start: the application's hosted services start only once they are all up.
        builder.ApplicationBuilder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            var services = @event.Services;
            var progress = new StartupProgress(builder.Resource, services.GetRequiredService<ResourceNotificationService>(),
                services.GetRequiredService<ILogger<StartupProgress>>());
            _ = progress.RunAsync(services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
            return Task.CompletedTask;
        });

        builder.ApplicationBuilder.Services.AddHostedService(services => new RunToCompletion(
            builder.Resource,
            timeout,
            services.GetRequiredService<ResourceNotificationService>(),
            services.GetRequiredService<IHostApplicationLifetime>(),
            services.GetRequiredService<ILogger<RunToCompletion>>()));
        return builder;
    }
}

/// <summary>Watches every resource's state until the target finishes, something fails, or time runs out.</summary>
internal sealed class RunToCompletion(
    IResource target,
    TimeSpan timeout,
    ResourceNotificationService notifications,
    IHostApplicationLifetime lifetime,
    ILogger<RunToCompletion> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(timeout);
        try
        {
            await foreach (var update in notifications.WatchAsync(deadline.Token))
            {
                var name = update.Resource.Name;
                var state = update.Snapshot.State?.Text ?? "";
                states[name] = update.Snapshot.HealthStatus is { } health ? $"{state}, {health}" : state;
                if (update.Resource == target && (state == KnownResourceStates.Finished || state == KnownResourceStates.Exited))
                {
                    var exitCode = update.Snapshot.ExitCode ?? 1;
                    logger.Log(exitCode == 0 ? LogLevel.Information : LogLevel.Error,
                        "{Resource} finished with exit code {ExitCode}; stopping.", name, exitCode);
                    Stop(exitCode);
                    return;
                }

                if (state == KnownResourceStates.FailedToStart
                    || (update.Resource != target && (state == KnownResourceStates.Exited || state == KnownResourceStates.Finished)))
                {
                    logger.LogError("{Resource} {State} (exit code {ExitCode}) before {Target} finished; its log above says why. Stopping.",
                        name, state, update.Snapshot.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none", target.Name);
                    Stop(1);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogError("{Target} did not finish within {Timeout}. Resource states: {States}. Stopping.",
                target.Name, timeout, string.Join("; ", states.Select(s => $"{s.Key}: {s.Value}")));
            Stop(1);
        }
        catch (OperationCanceledException)
        {
            // The application is stopping for another reason (Ctrl+C).
        }
    }

    private void Stop(int exitCode)
    {
        Environment.ExitCode = exitCode;
        lifetime.StopApplication();
    }
}
