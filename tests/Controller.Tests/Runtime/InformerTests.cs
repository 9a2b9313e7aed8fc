using Fluid.Aspire.Cluster.Kubernetes;
using k8s.Models;
using System.Collections.Concurrent;
using System.Globalization;
using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Aspire.Controller.Tests.Runtime;

/// <summary>The informer on the Kubernetes API (the local API server on a real etcd whose history is compacted under it).</summary>
public sealed class InformerTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_informer_whose_watch_version_was_compacted_lists_again_and_reports_what_changed_meanwhile()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var api = await ApiServerProcess.StartAsync(etcd, Cancellation);
        using var connection = new EtcdConnection(etcd.ConnectionString());
        var apiStore = api.CreateStore();
        await apiStore.CreateAsync(NewDataset("a"), Cancellation);
        await apiStore.CreateAsync(NewDataset("b"), Cancellation);

        // Between the first list and its watch, the world moves on and etcd forgets the list's version.
        var store = new ListInterceptingStore(apiStore, async cancellationToken =>
        {
            await apiStore.CreateAsync(NewDataset("late"), cancellationToken);
            await apiStore.DeleteAsync<Dataset>("a", cancellationToken: cancellationToken);
            var now = (await apiStore.ListAsync<Dataset>(cancellationToken: cancellationToken)).ResourceVersion;
            await connection.KeyValue.CompactAsync(new CompactionRequest { Revision = long.Parse(now, CultureInfo.InvariantCulture) },
                cancellationToken: cancellationToken);
        });
        var informer = Informer.Of<Dataset>(store, NullLogger.Instance);
        var changes = new ConcurrentQueue<string>();
        informer.Changed += (before, after) => changes.Enqueue(after is null ? $"-{before!.Metadata.Name}" : $"+{after.Metadata.Name}");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var running = informer.RunAsync(stop.Token);

        await Eventually.ReturnsAsync(() => informer.List().Select(d => d.Metadata.Name).Order().ToArray(), names => names.SequenceEqual(["b", "late"]),
            TimeSpan.FromSeconds(30), "the informer listing again after the expired watch", Cancellation);
        await stop.CancelAsync();
        await running;

        Assert.True(store.Lists >= 2, $"listed {store.Lists} time(s)");
        Assert.Equal(["+a", "+b", "-a", "+late"], changes);
        Assert.True(informer.IsSynced);
    }

    private static Dataset NewDataset(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new DatasetSpec { Mounts = [new Mount { MountPoint = $"local:///data/{name}", Name = "data" }] },
    };

    /// <summary>The real store, with something done after the first list returns and before anyone can watch from it.</summary>
    private sealed class ListInterceptingStore(IResourceStore inner, Func<CancellationToken, Task> afterFirstList) : IResourceStore
    {
        private int _lists;

        public int Lists => _lists;

        public async Task<ResourceList<T>> ListAsync<T>(
            string? namespaceName = null, IReadOnlyDictionary<string, string>? labels = null, CancellationToken cancellationToken = default)
            where T : Resource
        {
            var list = await inner.ListAsync<T>(namespaceName, labels, cancellationToken);
            if (Interlocked.Increment(ref _lists) == 1)
            {
                await afterFirstList(cancellationToken);
            }

            return list;
        }

        public Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken = default)
            where T : Resource => inner.CreateAsync(resource, cancellationToken);

        public Task<T?> GetAsync<T>(string name, string? namespaceName = null, CancellationToken cancellationToken = default)
            where T : Resource => inner.GetAsync<T>(name, namespaceName, cancellationToken);

        public Task<T> UpdateAsync<T>(T resource, CancellationToken cancellationToken = default)
            where T : Resource => inner.UpdateAsync(resource, cancellationToken);

        public Task<T> UpdateStatusAsync<T>(T resource, CancellationToken cancellationToken = default)
            where T : Resource => inner.UpdateStatusAsync(resource, cancellationToken);

        public Task<T?> DeleteAsync<T>(string name, string? namespaceName = null, CancellationToken cancellationToken = default)
            where T : Resource => inner.DeleteAsync<T>(name, namespaceName, cancellationToken);

        public IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? namespaceName = null, string? resourceVersion = null, CancellationToken cancellationToken = default)
            where T : Resource => inner.WatchAsync<T>(namespaceName, resourceVersion, cancellationToken);
    }
}
