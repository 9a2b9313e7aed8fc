using k8s;

namespace Fluid.Aspire.Contracts.Store;

/// <summary>
/// Where resources live, with the semantics of the Kubernetes API so that a Kubernetes implementation can take this
/// one's place: optimistic concurrency through <c>metadata.resourceVersion</c>, a status written apart from the
/// spec, deletion that waits for finalizers, and watches that resume from a version (or say it is too old).
/// </summary>
public interface IResourceStore
{
    /// <summary>Validates and stores a new resource; the store sets uid, resourceVersion, generation and creationTimestamp.</summary>
    /// <exception cref="Validation.ResourceInvalidException">A field breaks a rule; the message names every one.</exception>
    /// <exception cref="ResourceAlreadyExistsException">A resource of that kind, namespace and name exists.</exception>
    Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken = default)
        where T : Resource;

    /// <summary>The resource, or null when there is none.</summary>
    Task<T?> GetAsync<T>(string name, string? namespaceName = null, CancellationToken cancellationToken = default)
        where T : Resource;

    /// <summary>
    /// The resources of a kind in one namespace (all namespaces when null) whose labels include every pair of
    /// <paramref name="labels"/>, and the version to watch from to see every change after the list.
    /// </summary>
    Task<ResourceList<T>> ListAsync<T>(string? namespaceName = null, IReadOnlyDictionary<string, string>? labels = null, CancellationToken cancellationToken = default)
        where T : Resource;

    /// <summary>Writes metadata and spec (the stored status is kept), if nobody wrote the resource since it was read.</summary>
    /// <exception cref="ResourceConflictException">The resource changed since <c>metadata.resourceVersion</c>; read it again and reapply.</exception>
    /// <exception cref="ResourceNotFoundException">The resource is gone.</exception>
    Task<T> UpdateAsync<T>(T resource, CancellationToken cancellationToken = default)
        where T : Resource;

    /// <summary>Writes the status only (metadata and spec are kept), with the same optimistic concurrency.</summary>
    Task<T> UpdateStatusAsync<T>(T resource, CancellationToken cancellationToken = default)
        where T : Resource;

    /// <summary>
    /// Deletes a resource; one with finalizers only gets its deletionTimestamp, and goes when the last finalizer is
    /// removed by an update. Returns the resource as marked for deletion, or null once it is gone.
    /// </summary>
    /// <exception cref="ResourceNotFoundException">There is no such resource.</exception>
    Task<T?> DeleteAsync<T>(string name, string? namespaceName = null, CancellationToken cancellationToken = default)
        where T : Resource;

    /// <summary>
    /// The changes to resources of a kind after <paramref name="resourceVersion"/> (from a list), in order; from now
    /// when null. Ends only when cancelled or broken; an <see cref="ResourceExpiredException"/> means the version is too
    /// old (history compacted): list again and watch from the new version.
    /// </summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? namespaceName = null, string? resourceVersion = null, CancellationToken cancellationToken = default)
        where T : Resource;
}

/// <summary>A list of resources and the version of the store it reflects.</summary>
public sealed record ResourceList<T>(IReadOnlyList<T> Items, string ResourceVersion)
    where T : Resource;

/// <summary>One change seen by a watch (Added, Modified or Deleted, in Kubernetes' terms); for a deletion, the resource as it last was.</summary>
public sealed record WatchEvent<T>(WatchEventType Type, T Resource)
    where T : Resource;
