using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Store;
using Microsoft.Extensions.Logging;
using k8s;

namespace Fluid.Aspire.Controller.Runtime;

/// <summary>
/// A local cache of every resource of a kind, kept current from the store: list, then watch from the list's
/// version; when the watch breaks or its version expires, list again and report the difference. Consumers get
/// one ordered stream of changes whatever happened to the connection, and must clone a cached object before
/// changing it.
/// </summary>
public sealed class Informer<T>(IResourceStore store, ILogger logger)
    where T : Resource
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
        var retry = EtcdRetry.Forever(logger, $"Listing {ResourceKinds.Of<T>().Plural}");
        while (!stoppingToken.IsCancellationRequested)
        {
            var version = await retry.ExecuteAsync(ListAsync, stoppingToken);
            try
            {
                await foreach (var change in store.WatchAsync<T>(resourceVersion: version, cancellationToken: stoppingToken))
                {
                    Apply(change);
                }
            }
            catch (ResourceStoreException ex) when (!stoppingToken.IsCancellationRequested)
            {
                IsSynced = false;
                logger.LogInformation("The watch of {Kind} ended ({Reason}); listing again.", ResourceKinds.Of<T>().Plural, ex.Message);
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
        ResourceList<T> list;
        try
        {
            list = await store.ListAsync<T>(cancellationToken: cancellationToken);
        }
        catch (ResourceStoreUnavailableException ex)
        {
            throw new IOException(ex.Message, ex);
        }

        var listed = list.Items.ToDictionary(ResourceKeys.Of, StringComparer.Ordinal);
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
            if (!previous.TryGetValue(key, out var old) || old.Metadata.ResourceVersion != item.Metadata.ResourceVersion)
            {
                Changed?.Invoke(old, item);
            }
        }

        IsSynced = true;
        _synced.TrySetResult();
        return list.ResourceVersion;
    }

    private void Apply(WatchEvent<T> change)
    {
        var key = ResourceKeys.Of(change.Resource);
        T? old;
        lock (_gate)
        {
            old = _items.GetValueOrDefault(key);
            if (change.Type == WatchEventType.Deleted)
            {
                _items.Remove(key);
            }
            else
            {
                _items[key] = change.Resource;
            }
        }

        Changed?.Invoke(old, change.Type == WatchEventType.Deleted ? null : change.Resource);
    }
}
