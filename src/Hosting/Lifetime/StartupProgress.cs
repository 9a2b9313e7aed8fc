using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Hosting.Lifetime;

/// <summary>
/// Says every few seconds, until a resource runs, which others it still waits for: a one-shot run is never silent
/// while the stack starts, and a stack that does not come up names the part that does not.
/// </summary>
internal sealed class StartupProgress(IResource target, ResourceNotificationService notifications, ILogger<StartupProgress> logger)
{
    /// <summary>How often a run that is still starting says what it waits for.</summary>
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(5);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        using var started = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var since = Stopwatch.GetTimestamp();
        var report = ReportAsync(states, since, started.Token);
        try
        {
            await foreach (var update in notifications.WatchAsync(started.Token))
            {
                var state = update.Snapshot.State?.Text ?? "";
                lock (states)
                {
                    // Aspire's own helpers (hidden), resources with no process (the publishing environment) and the
                    // stack's objects the dashboard lists beside its processes are not waited for.
                    if (update.Snapshot.IsHidden || state.Length == 0 || update.Resource is Dashboard.StackObject)
                    {
                        states.Remove(update.Resource.Name);
                    }
                    else
                    {
                        states[update.Resource.Name] = update.Snapshot.HealthStatus is { } health ? $"{state}, {health}" : state;
                    }
                }

                if (update.Resource == target && state == KnownResourceStates.Running)
                {
                    logger.LogInformation("The stack is up after {Seconds:0} s; {Target} runs.", Stopwatch.GetElapsedTime(since).TotalSeconds, target.Name);
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The application stops before the target ran.
        }
        finally
        {
            await started.CancelAsync();
            await report;
        }
    }

    private async Task ReportAsync(Dictionary<string, string> states, long since, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ReportEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                List<string> waiting;
                lock (states)
                {
                    waiting = [.. states
                        .Where(s => s.Key != target.Name && s.Value != KnownResourceStates.Running && s.Value != $"{KnownResourceStates.Running}, Healthy")
                        .OrderBy(s => s.Key, StringComparer.Ordinal)
                        .Select(s => $"{s.Key} ({s.Value})")];
                }

                logger.LogInformation("Starting the stack ({Seconds:0} s): waiting for {Waiting}.",
                    Stopwatch.GetElapsedTime(since).TotalSeconds, waiting.Count > 0 ? string.Join(", ", waiting) : $"{target.Name} to start");
            }
        }
        catch (OperationCanceledException)
        {
            // The target runs, or the application stops.
        }
    }
}
