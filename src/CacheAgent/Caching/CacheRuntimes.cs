using System.Text.Json;
using Fluid.Aspire.Cache.Blocks;
using Fluid.Aspire.Cache.Reading;
using Fluid.Aspire.Cache.UnderStorage;
using Fluid.Aspire.CacheAgent.Client;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Runtimes;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.CacheAgent.Caching;

/// <summary>
/// The cache runtimes this node's agent serves, as the controller assigned them: each with a block store of its own
/// (every tier directory gets <c>{node}/{namespace}_{name}</c> below it, so that runtimes and simulated nodes sharing
/// a machine never share blocks) and its dataset read through it. Assignments of different runtimes run side by side;
/// one runtime's are serialized.
/// </summary>
internal sealed class CacheRuntimes(
    IOptions<CacheAgentOptions> options, IOptions<NodeOptions> node, ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly Dictionary<string, ServedRuntime> _served = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly ILogger _logger = loggers.CreateLogger<CacheRuntimes>();

    public string Node => node.Value.Name;

    /// <summary>Serves the runtime as assigned: at once if it already does so, else with a store and dataset opened anew.</summary>
    /// <exception cref="ArgumentException">The assignment cannot be served (bad tiers, an unreadable mount); the message says why.</exception>
    public async Task<CacheWorkerStatus> AssignAsync(string namespaceName, string name, CacheAssignment assignment, CancellationToken cancellationToken)
    {
        var key = ResourceId(namespaceName, name);
        var text = JsonSerializer.Serialize(assignment, ResourceJson.Options);
        var held = LockOf(key);
        await held.WaitAsync(cancellationToken);
        try
        {
            var current = Find(key);
            if (current?.Assignment == text)
            {
                return current.Status(Node);
            }

            if (current is not null)
            {
                Remove(key);
                await current.DisposeAsync();
                _logger.LogInformation("Cache runtime {Runtime} changed; serving it anew.", key);
            }

            var served = await OpenAsync(key, assignment, text, cancellationToken);
            lock (_gate)
            {
                _served[key] = served;
            }

            _logger.LogInformation("Serving cache runtime {Runtime}: {Mounts}.", key, string.Join(", ", assignment.Dataset.Mounts.Select(m => m.MountPoint)));
            return served.Status(Node);
        }
        finally
        {
            held.Release();
        }
    }

    /// <summary>The runtime served, or null.</summary>
    public ServedRuntime? Find(string namespaceName, string name) => Find(ResourceId(namespaceName, name));

    /// <summary>Every runtime served, by <c>namespace/name</c>.</summary>
    public IReadOnlyList<(string Runtime, ServedRuntime Served)> All()
    {
        lock (_gate)
        {
            return [.. _served.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Value))];
        }
    }

    /// <summary>Stops serving the runtime; with <paramref name="evict"/> its blocks go too. False when it was not served.</summary>
    public async Task<bool> ReleaseAsync(string namespaceName, string name, bool evict, CancellationToken cancellationToken)
    {
        var key = ResourceId(namespaceName, name);
        var held = LockOf(key);
        await held.WaitAsync(cancellationToken);
        try
        {
            if (Find(key) is not { } served)
            {
                return false;
            }

            Remove(key);
            if (evict)
            {
                await served.Store.EvictDatasetAsync(served.Dataset.Id, cancellationToken);
            }

            await served.DisposeAsync();
            _logger.LogInformation("Released cache runtime {Runtime}{Evicted}.", key, evict ? " and evicted its blocks" : "");
            return true;
        }
        finally
        {
            held.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ServedRuntime> served;
        lock (_gate)
        {
            served = [.. _served.Values];
            _served.Clear();
        }

        foreach (var runtime in served)
        {
            await runtime.DisposeAsync();
        }
    }

    private async Task<ServedRuntime> OpenAsync(string key, CacheAssignment assignment, string text, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var store = await TieredBlockStore.OpenAsync(
            new TieredBlockStoreOptions { Levels = LevelsOf(key, assignment.TieredStore), BlockSize = settings.BlockBytes() },
            loggers.CreateLogger<TieredBlockStore>(), cancellationToken);
        try
        {
            var storageOptions = new UnderStorageOptions { PersistentVolumeClaimRoot = settings.PersistentVolumeClaimRoot };
            var mounts = DatasetMount.Of(assignment.Dataset, mount =>
            {
                var index = assignment.Dataset.Mounts.IndexOf(mount);
                var secrets = index < assignment.MountSecrets.Count ? assignment.MountSecrets[index] : [];
                return UnderStorageFactory.Create(mount, secrets, storageOptions, loggers);
            });
            var dataset = new CachedDataset(key, mounts, store,
                new CachedDatasetOptions { ListingTtl = TimeSpan.FromSeconds(settings.ListingTtlSeconds) }, loggers.CreateLogger<CachedDataset>());
            return new ServedRuntime(text, store, dataset);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>The runtime's levels with every directory moved below <c>{dir}/{node}/{namespace}_{name}</c>; one MEM level when it names none.</summary>
    private List<TieredStoreLevel> LevelsOf(string key, TieredStore? tieredStore)
    {
        var settings = options.Value;
        var levels = tieredStore?.Levels is { Count: > 0 } given
            ? given
            : [new TieredStoreLevel { MediumType = MediumType.Memory, Quota = new ResourceQuantity(settings.DefaultMemoryQuota) }];
        var own = Path.Combine(Node, key.Replace('/', '_'));
        return [.. levels.Select(level => new TieredStoreLevel
        {
            MediumType = level.MediumType,
            Quota = level.Quota,
            High = level.High,
            Low = level.Low,
            // A MEM level without a path, or with /dev/shm itself, lands under the agent's memory root.
            Path = string.Join(",", (level.Path is { Length: > 0 } path && path.TrimEnd('/') != "/dev/shm" ? path.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [settings.MemoryRoot])
                .Select(directory => Path.Combine(directory, own))),
        })];
    }

    private ServedRuntime? Find(string key)
    {
        lock (_gate)
        {
            return _served.GetValueOrDefault(key);
        }
    }

    private void Remove(string key)
    {
        lock (_gate)
        {
            _served.Remove(key);
        }
    }

    private SemaphoreSlim LockOf(string key)
    {
        lock (_gate)
        {
            if (!_locks.TryGetValue(key, out var held))
            {
                held = new SemaphoreSlim(1, 1);
                _locks[key] = held;
            }

            return held;
        }
    }

    private static string ResourceId(string namespaceName, string name) => $"{namespaceName}/{name}";
}
