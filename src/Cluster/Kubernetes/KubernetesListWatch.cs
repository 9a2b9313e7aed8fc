using System.Runtime.CompilerServices;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Cluster.Kubernetes;

/// <summary>
/// List and watch of a built-in kind (Nodes, Leases…) through KubernetesClient's typed calls: its list, and its watch
/// given as <c>(resourceVersion, onError, cancellationToken) =&gt; …WatchList…Async(…)</c>.
/// </summary>
public sealed class KubernetesListWatch<T, TList>(
    string plural,
    Func<CancellationToken, Task<TList>> list,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch) : IListWatch<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
    where TList : IKubernetesObject<V1ListMeta>, IItems<T>
{
    public string Plural => plural;

    public string KeyOf(T item) =>
        item.Metadata.NamespaceProperty is { Length: > 0 } ns ? ResourceKeys.Of(ns, item.Metadata.Name) : item.Metadata.Name;

    public string? VersionOf(T item) => item.Metadata.ResourceVersion;

    public async Task<(IReadOnlyList<T> Items, string Version)> ListAsync(CancellationToken cancellationToken)
    {
        var items = await list(cancellationToken);
        return ([.. items.Items ?? []], items.Metadata?.ResourceVersion ?? "");
    }

    public async IAsyncEnumerable<(WatchEventType Type, T Item)> WatchAsync(string version, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Exception? failure = null;
        await foreach (var (type, item) in watch(version, ex => failure ??= ex, cancellationToken))
        {
            if (failure is not null)
            {
                break;
            }

            if (type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
            {
                yield return (type, item);
            }
        }

        if (failure is not null)
        {
            // An ERROR event (410 Gone after compaction, mostly): the informer lists again.
            throw new IOException($"The watch of {plural} failed: {failure.Message}", failure);
        }
    }
}
