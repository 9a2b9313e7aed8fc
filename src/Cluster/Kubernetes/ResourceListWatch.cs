using System.Runtime.CompilerServices;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Store;
using k8s;

namespace Fluid.Aspire.Cluster.Kubernetes;

/// <summary>List and watch of one of this project's kinds through the <see cref="IResourceStore"/>.</summary>
public sealed class ResourceListWatch<T>(IResourceStore store) : IListWatch<T>
    where T : Resource
{
    public string Plural => ResourceKinds.Of<T>().Plural;

    public string KeyOf(T item) => ResourceKeys.Of(item);

    public string? VersionOf(T item) => item.Metadata.ResourceVersion;

    public async Task<(IReadOnlyList<T> Items, string Version)> ListAsync(CancellationToken cancellationToken)
    {
        try
        {
            var list = await store.ListAsync<T>(cancellationToken: cancellationToken);
            return (list.Items, list.ResourceVersion);
        }
        catch (ResourceStoreUnavailableException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    public async IAsyncEnumerable<(WatchEventType Type, T Item)> WatchAsync(string version, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var change in store.WatchAsync<T>(resourceVersion: version, cancellationToken: cancellationToken))
        {
            yield return (change.Type, change.Resource);
        }
    }
}
