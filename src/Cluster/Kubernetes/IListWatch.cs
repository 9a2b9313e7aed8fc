using k8s;

namespace Fluid.Aspire.Cluster.Kubernetes;

/// <summary>
/// What an <see cref="Informer{T}"/> needs of the API for one kind: a list of every object at one version, and the
/// changes from a version on.
/// </summary>
public interface IListWatch<T>
    where T : class
{
    /// <summary>The kind's plural, for logs.</summary>
    string Plural { get; }

    /// <summary>The cache key of an object: <c>namespace/name</c>, or the name of a cluster-scoped one.</summary>
    string KeyOf(T item);

    /// <summary>The object's resourceVersion, to tell a changed object from the same one listed again.</summary>
    string? VersionOf(T item);

    Task<(IReadOnlyList<T> Items, string Version)> ListAsync(CancellationToken cancellationToken);

    /// <summary>The changes after <paramref name="version"/>; ends (or throws) when the watch breaks or the version is too old.</summary>
    IAsyncEnumerable<(WatchEventType Type, T Item)> WatchAsync(string version, CancellationToken cancellationToken);
}
