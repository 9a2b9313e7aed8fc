using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Sdk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using k8s;

namespace Fluid.Aspire.Hosting.Dashboard;

/// <summary>
/// Lists the stack's datasets, runtimes and steps on the dashboard beside its processes, as they change: each with
/// its phase, node and the rest of what <c>kubectl get</c> shows, a step's log as its console log once it has run,
/// and commands (delete a dataset, run a failed step again).
/// </summary>
internal sealed class StackObjectMirror : IDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private const int LogAttempts = 5;
    private readonly FluidResource _fluid;
    private readonly ResourceNotificationService _notifications;
    private readonly ResourceLoggerService _logs;
    private readonly ILogger _logger;
    // The dashboard knows an entry by its instance for the whole run: an object deleted and created again under the
    // same name (the sample's next run) is shown again through the same instance.
    private readonly ConcurrentDictionary<string, StackObject> _shown = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _present = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _logsWritten = new(StringComparer.Ordinal);
    private FluidClient? _client;

    private StackObjectMirror(FluidResource fluid, IServiceProvider services)
    {
        _fluid = fluid;
        _notifications = services.GetRequiredService<ResourceNotificationService>();
        _logs = services.GetRequiredService<ResourceLoggerService>();
        _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<StackObjectMirror>();
    }

    /// <summary>Starts mirroring once the stack's API server is ready, in run mode.</summary>
    public static void Attach(IResourceBuilder<FluidResource> stack)
    {
        var builder = stack.ApplicationBuilder;
        if (!builder.ExecutionContext.IsRunMode)
        {
            return;
        }

        builder.Eventing.Subscribe<ResourceReadyEvent>(stack.Resource.ApiServer, (e, cancellationToken) =>
        {
            if (e.Services.GetRequiredService<DistributedApplicationOptions>().DisableDashboard)
            {
                // A one-shot run: nobody looks.
                return Task.CompletedTask;
            }

            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            var mirror = new StackObjectMirror(stack.Resource, e.Services);
            _ = mirror.RunAsync(stopping);
            return Task.CompletedTask;
        });
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            _client = await ConnectAsync(stopping);
            await Task.WhenAll(MirrorAsync<Dataset>(stopping), MirrorAsync<ObjectStoreRuntime>(stopping), MirrorAsync<CacheRuntime>(stopping), MirrorAsync<DataProcess>(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The dashboard's view of the objects is a convenience: the stack runs on without it.
            _logger.LogWarning(ex, "The dashboard stops listing the stack's datasets and steps: {Message}", ex.Message);
        }
        finally
        {
            Dispose();
        }
    }

    public void Dispose() => _client?.Dispose();

    /// <summary>A client of the stack's API, once the API server has written its kubeconfig (just after it listens).</summary>
    private async Task<FluidClient> ConnectAsync(CancellationToken stopping)
    {
        while (true)
        {
            try
            {
                return new FluidClient(new ClientConfig { KubeConfigFile = _fluid.Kubeconfig });
            }
            catch (InvalidOperationException) when (!File.Exists(_fluid.Kubeconfig))
            {
                await Task.Delay(RetryDelay, stopping);
            }
        }
    }

    /// <summary>Lists the kind, then follows its changes; lists again whenever the watch breaks.</summary>
    private async Task MirrorAsync<T>(CancellationToken stopping)
        where T : Contracts.Resource
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var list = await Client.Store.ListAsync<T>(cancellationToken: stopping);
                var present = list.Items.Select(Show).ToHashSet(StringComparer.Ordinal);
                foreach (var gone in _shown.Values.Where(o => o.Kind == Contracts.ResourceKinds.Of<T>().Kind && !present.Contains(o.Name)).ToArray())
                {
                    await HideAsync(gone.Name);
                }

                await foreach (var change in Client.Store.WatchAsync<T>(resourceVersion: list.ResourceVersion, cancellationToken: stopping))
                {
                    if (change.Type == k8s.WatchEventType.Deleted)
                    {
                        await HideAsync(StackObject.NameOf(change.Resource.Kind, change.Resource.Metadata.NamespaceProperty, change.Resource.Metadata.Name));
                    }
                    else
                    {
                        Show(change.Resource);
                    }
                }
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested && ex is not OperationCanceledException)
            {
                _logger.LogDebug(ex, "Watching {Kind} for the dashboard broke; listing again", typeof(T).Name);
                await Task.Delay(RetryDelay, stopping);
            }
        }
    }

    private string Show(Contracts.Resource resource)
    {
        var shown = _shown.GetOrAdd(StackObject.NameOf(resource.Kind, resource.Metadata.NamespaceProperty, resource.Metadata.Name), _ =>
        {
            var created = StackObject.Of(resource);
            StackObjectCommands.Add(created, () => Client);
            return created;
        });
        _present[shown.Name] = true;
        _notifications.PublishUpdateAsync(shown, previous => StackObjectSnapshots.Of(resource, _fluid.Name, previous))
            .ContinueWith(failed => _logger.LogWarning(failed.Exception, "The dashboard could not show {Name}", shown.Name), TaskContinuationOptions.OnlyOnFaulted);
        if (resource is DataProcess { Status.Phase: OperationPhase.Complete or OperationPhase.Failed } step && _logsWritten.TryAdd(shown.Name, true))
        {
            _ = WriteLogAsync(shown, step);
        }

        return shown.Name;
    }

    private async Task HideAsync(string name)
    {
        if (_present.TryRemove(name, out _) && _shown.TryGetValue(name, out var shown))
        {
            _logsWritten.TryRemove(name, out _);
            await _notifications.PublishUpdateAsync(shown, StackObjectSnapshots.Deleted);
        }
    }

    /// <summary>The step's log, read once it has run, as the console log of its entry (what <c>kubectl logs</c> shows).</summary>
    private async Task WriteLogAsync(StackObject shown, DataProcess step)
    {
        var logger = _logs.GetLogger(shown);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await CopyLogAsync(step, logger);
                return;
            }
            catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException or IOException)
            {
                if (attempt == LogAttempts)
                {
                    logger.LogWarning("The step's log could not be read: {Message}", ex.Message);
                    return;
                }

                // The node's kubelet may not have published where it serves logs yet.
                await Task.Delay(RetryDelay);
            }
        }
    }

    private async Task CopyLogAsync(DataProcess step, ILogger logger)
    {
        var pods = await Client.Kubernetes.CoreV1.ListNamespacedPodAsync(step.Metadata.NamespaceProperty);
        var pod = pods.Items
            .Where(p => p.Metadata.Annotations?.TryGetValue(StepPodMetadata.StepAnnotation, out var name) == true && name == step.Metadata.Name)
            .MaxBy(p => p.Metadata.CreationTimestamp);
        if (pod is null)
        {
            logger.LogInformation("The step's pod is gone; its log went with it.");
            return;
        }

        // Read whole before writing, so that a read that breaks halfway and is tried again shows no line twice.
        using var stream = await Client.Kubernetes.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty);
        using var reader = new StreamReader(stream);
        var lines = (await reader.ReadToEndAsync()).Split('\n');
        foreach (var line in lines.Length > 0 && lines[^1].Length == 0 ? lines[..^1] : lines)
        {
            logger.LogInformation("{Line}", line);
        }
    }

    private FluidClient Client => _client ?? throw new InvalidOperationException("The mirror has not connected yet.");
}
