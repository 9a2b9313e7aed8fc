using Fluid.Aspire.Cluster.Resilience;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Store;
using Microsoft.Extensions.Logging;
using k8s;

namespace Fluid.Aspire.Cluster.Kubernetes;

/// <summary>Informers of this project's kinds.</summary>
public static class Informer
{
    /// <summary>An informer of <typeparamref name="T"/> through the resource store.</summary>
    public static Informer<T> Of<T>(IResourceStore store, ILogger logger)
        where T : Resource => new(new ResourceListWatch<T>(store), logger);
}

/// <summary>
/// A local cache of every resource of a kind, kept current from the store: list, then watch from the list's
/// version; when the watch breaks or its version expires, list again and report the difference. Consumers get
/// one ordered stream of changes whatever happened to the connection, and must clone a cached object before
/// changing it.
/// </summary>
public sealed class Informer<T>(IListWatch<T> source, ILogger logger)
    where T : class
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Dictionary<string, T> _items = new(StringComparer.Ordinal);

    /// <summary>Raised for each change, with the object before (null when added) and after (null when deleted).</summary>
    public event Action<T?, T?>? Changed;

    /// <summary>Completes once the first list is loaded.</summary>
    public Task Synced => _synced.Task;

    public bool IsSynced { get; private set; }

    public T? Get(string key)
    {
        lock (_gate)
        {
            return _items.GetValueOrDefault(key);
        }
    }

    public IReadOnlyList<T> List()
    {
        lock (_gate)
        {
            return [.. _items.Values];
        }
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var retry = TransientRetry.Forever(logger, $"Listing {source.Plural}");
        while (!stoppingToken.IsCancellationRequested)
        {
            var version = await retry.ExecuteAsync(ListAsync, stoppingToken);
            try
            {
                await foreach (var (type, item) in source.WatchAsync(version, stoppingToken))
                {
                    Apply(type, item);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && (ex is ResourceStoreException || TransientRetry.IsTransient(ex)))
            {
                IsSynced = false;
                logger.LogInformation("The watch of {Kind} ended ({Reason}); listing again.", source.Plural, ex.Message);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopped: gRPC reports the cancelled watch as its own exception, which is no failure.
                return;
            }
        }
    }

    private async ValueTask<string> ListAsync(CancellationToken cancellationToken)
    {
        var (items, version) = await source.ListAsync(cancellationToken);
        var listed = items.ToDictionary(source.KeyOf, StringComparer.Ordinal);
        Dictionary<string, T> previous;
        lock (_gate)
        {
            previous = _items;
            _items = listed;
        }

        foreach (var (key, old) in previous)
        {
            if (!listed.ContainsKey(key))
            {
                Changed?.Invoke(old, null);
            }
        }

        foreach (var (key, item) in listed)
        {
            if (!previous.TryGetValue(key, out var old) || source.VersionOf(old) != source.VersionOf(item))
            {
                Changed?.Invoke(old, item);
            }
        }

        IsSynced = true;
        _synced.TrySetResult();
        return version;
    }

    private void Apply(WatchEventType type, T item)
    {
        var key = source.KeyOf(item);
        T? old;
        lock (_gate)
        {
            old = _items.GetValueOrDefault(key);
            if (type == WatchEventType.Deleted)
            {
                _items.Remove(key);
            }
            else
            {
                _items[key] = item;
            }
        }

        Changed?.Invoke(old, type == WatchEventType.Deleted ? null : item);
    }
}
