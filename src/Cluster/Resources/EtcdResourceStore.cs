using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.Contracts.Validation;
using Google.Protobuf;
using Grpc.Core;
using Mvccpb;

namespace Fluid.Aspire.Cluster.Resources;

/// <summary>
/// The resource store of a local stack, in etcd: one key per resource,
/// <c>{prefix}/resources/{group}/{plural}/{namespace}/{name}</c>, holding its JSON. The key's modification revision
/// is the resourceVersion, so optimistic concurrency is an etcd transaction comparing it, and a watch resumes from
/// a revision (until etcd compacts it away, which the watch reports as expired).
/// </summary>
public sealed class EtcdResourceStore(EtcdConnection etcd, TimeProvider? clock = null) : IResourceStore
{
    private const long PageSize = 500;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public async Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken = default)
        where T : Resource
    {
        var created = (T)resource.Clone();
        var meta = created.Metadata;
        meta.Namespace = string.IsNullOrEmpty(meta.Namespace) ? ObjectMeta.DefaultNamespace : meta.Namespace;
        ResourceValidator.EnsureValid(created);
        await EnsureNoRunAfterCycleAsync(created, cancellationToken);
        meta.Uid = Guid.NewGuid().ToString();
        meta.CreationTimestamp = _clock.GetUtcNow();
        meta.Generation = 1;
        meta.DeletionTimestamp = null;
        meta.ResourceVersion = null;
        var key = Key<T>(meta.Name, meta.Namespace);
        var response = await CallAsync(() => etcd.KeyValue.TxnAsync(new TxnRequest
        {
            Compare = { CreateRevisionIs(key, 0) },
            Success = { Put(key, created) },
        }, cancellationToken: cancellationToken));
        if (!response.Succeeded)
        {
            throw new ResourceAlreadyExistsException(
                $"{Describe<T>(meta.Name, meta.Namespace)} already exists; delete it first, or choose another name.");
        }

        meta.ResourceVersion = Version(response.Header.Revision);
        return created;
    }

    public async Task<T?> GetAsync<T>(string name, string? namespaceName = null, CancellationToken cancellationToken = default)
        where T : Resource => (T?)await GetAsync(ResourceKinds.Of<T>(), name, Namespace(namespaceName), cancellationToken);

    public async Task<ResourceList<T>> ListAsync<T>(
        string? namespaceName = null, IReadOnlyDictionary<string, string>? labels = null, CancellationToken cancellationToken = default)
        where T : Resource
    {
        var prefix = Prefix<T>(namespaceName);
        var items = new List<T>();
        var next = EtcdKeys.ToBytes(prefix);
        long revision = 0;
        while (true)
        {
            // Every page reads at the first page's revision: the pages form one snapshot.
            var page = await CallAsync(() => etcd.KeyValue.RangeAsync(new RangeRequest
            {
                Key = next,
                RangeEnd = EtcdKeys.PrefixRangeEnd(prefix),
                Limit = PageSize,
                Revision = revision,
            }, cancellationToken: cancellationToken));
            revision = revision == 0 ? page.Header.Revision : revision;
            foreach (var kv in page.Kvs)
            {
                var item = Decode<T>(kv);
                if (labels is null || labels.All(l => item.Metadata.Labels.TryGetValue(l.Key, out var value) && value == l.Value))
                {
                    items.Add(item);
                }
            }

            if (!page.More || page.Kvs.Count == 0)
            {
                return new ResourceList<T>(items, Version(revision));
            }

            next = ByteString.CopyFrom([.. page.Kvs[^1].Key.Span, 0]);
        }
    }

    public Task<T> UpdateAsync<T>(T resource, CancellationToken cancellationToken = default)
        where T : Resource =>
        WriteAsync(resource, async (stored, desired) =>
        {
            var specChanged = SpecJson(stored) != SpecJson(desired);
            if (specChanged)
            {
                // Only a changed spec can close a cycle; metadata writes (finalizers) must pass even on a cyclic step.
                await EnsureNoRunAfterCycleAsync(desired, cancellationToken);
            }

            var updated = (T)desired.Clone();
            CopyStatus(stored, updated);
            updated.Metadata.Uid = stored.Metadata.Uid;
            updated.Metadata.CreationTimestamp = stored.Metadata.CreationTimestamp;
            updated.Metadata.DeletionTimestamp = stored.Metadata.DeletionTimestamp;
            updated.Metadata.Generation = stored.Metadata.Generation + (specChanged ? 1 : 0);
            ResourceValidator.EnsureValid(updated);
            return updated;
        }, cancellationToken);

    public Task<T> UpdateStatusAsync<T>(T resource, CancellationToken cancellationToken = default)
        where T : Resource =>
        WriteAsync(resource, (stored, desired) =>
        {
            var updated = (T)stored.Clone();
            CopyStatus(desired, updated);
            return Task.FromResult(updated);
        }, cancellationToken);

    public async Task<T?> DeleteAsync<T>(string name, string? namespaceName = null, CancellationToken cancellationToken = default)
        where T : Resource
    {
        var ns = Namespace(namespaceName);
        while (true)
        {
            var stored = await GetAsync<T>(name, ns, cancellationToken)
                ?? throw new ResourceNotFoundException($"{Describe<T>(name, ns)} does not exist.");
            var key = Key<T>(name, ns);
            var revision = long.Parse(stored.Metadata.ResourceVersion!, CultureInfo.InvariantCulture);
            if (stored.Metadata.Finalizers.Count == 0)
            {
                var deleted = await CallAsync(() => etcd.KeyValue.TxnAsync(new TxnRequest
                {
                    Compare = { ModRevisionIs(key, revision) },
                    Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdKeys.ToBytes(key) } } },
                }, cancellationToken: cancellationToken));
                if (deleted.Succeeded)
                {
                    return null;
                }

                continue;
            }

            if (stored.Metadata.DeletionTimestamp is not null)
            {
                return stored;
            }

            stored.Metadata.DeletionTimestamp = _clock.GetUtcNow();
            var marked = await CallAsync(() => etcd.KeyValue.TxnAsync(new TxnRequest
            {
                Compare = { ModRevisionIs(key, revision) },
                Success = { Put(key, stored) },
            }, cancellationToken: cancellationToken));
            if (marked.Succeeded)
            {
                stored.Metadata.ResourceVersion = Version(marked.Header.Revision);
                return stored;
            }
        }
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(
        string? namespaceName = null, string? resourceVersion = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : Resource
    {
        var prefix = Prefix<T>(namespaceName);
        var start = resourceVersion is null ? 0 : long.Parse(resourceVersion, CultureInfo.InvariantCulture) + 1;
        using var call = etcd.Watches.Watch(cancellationToken: cancellationToken);
        await CallAsync(async () =>
        {
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest
                {
                    Key = EtcdKeys.ToBytes(prefix),
                    RangeEnd = EtcdKeys.PrefixRangeEnd(prefix),
                    StartRevision = start,
                    PrevKv = true,
                },
            }, cancellationToken);
            return true;
        });

        while (await CallAsync(() => call.ResponseStream.MoveNext(cancellationToken)))
        {
            var response = call.ResponseStream.Current;
            if (response.CompactRevision > 0)
            {
                throw new ResourceExpiredException(
                    $"The resource version {resourceVersion} is too old (history before {response.CompactRevision} was compacted); list again.");
            }

            if (response.Canceled)
            {
                throw new ResourceStoreUnavailableException($"etcd cancelled the watch of {prefix}: {response.CancelReason}.");
            }

            foreach (var change in response.Events)
            {
                yield return change.Type == Mvccpb.Event.Types.EventType.Delete
                    ? new WatchEvent<T>(WatchEventType.Deleted, Deleted<T>(change))
                    : new WatchEvent<T>(
                        change.Kv.CreateRevision == change.Kv.ModRevision ? WatchEventType.Added : WatchEventType.Modified, Decode<T>(change.Kv));
            }
        }

        throw new ResourceStoreUnavailableException($"etcd closed the watch of {prefix}; list again and watch from the list's version.");
    }

    /// <summary>
    /// Refuses an operation whose runAfter chain comes back to it. The chain is read outside the write's transaction:
    /// two writes racing to close a cycle can both pass, and the controller fails the steps of such a cycle.
    /// </summary>
    private async Task EnsureNoRunAfterCycleAsync(Resource resource, CancellationToken cancellationToken)
    {
        if (resource is IOperation { Spec.RunAfter: not null } operation)
        {
            await RunAfterChain.EnsureNoCycleAsync(operation, async (kind, ns, name, ct) => await GetAsync(kind, name, ns, ct) as IOperation, cancellationToken);
        }
    }

    private async Task<Resource?> GetAsync(ResourceKind kind, string name, string namespaceName, CancellationToken cancellationToken)
    {
        var range = await CallAsync(() => etcd.KeyValue.RangeAsync(
            new RangeRequest { Key = EtcdKeys.ToBytes(Prefix(kind, namespaceName) + name) }, cancellationToken: cancellationToken));
        return range.Kvs.Count == 0 ? null : Decode(range.Kvs[0], kind.Type);
    }

    /// <summary>Reads, checks the version, computes the new object and writes it if nobody wrote in between.</summary>
    private async Task<T> WriteAsync<T>(T resource, Func<T, T, Task<T>> merge, CancellationToken cancellationToken)
        where T : Resource
    {
        var meta = resource.Metadata;
        var ns = Namespace(meta.Namespace);
        if (meta.ResourceVersion is null)
        {
            throw new ResourceConflictException(
                $"{Describe<T>(meta.Name, ns)} has no metadata.resourceVersion; read it first and update what you read.");
        }

        var stored = await GetAsync<T>(meta.Name, ns, cancellationToken)
            ?? throw new ResourceNotFoundException($"{Describe<T>(meta.Name, ns)} does not exist (deleted meanwhile?).");
        if (stored.Metadata.ResourceVersion != meta.ResourceVersion)
        {
            throw Conflict<T>(meta, stored.Metadata.ResourceVersion);
        }

        var updated = await merge(stored, resource);
        var key = Key<T>(meta.Name, ns);
        var revision = long.Parse(meta.ResourceVersion, CultureInfo.InvariantCulture);

        // The last finalizer of a resource being deleted is gone: the deletion completes.
        var remove = updated.Metadata.DeletionTimestamp is not null && updated.Metadata.Finalizers.Count == 0;
        var response = await CallAsync(() => etcd.KeyValue.TxnAsync(new TxnRequest
        {
            Compare = { ModRevisionIs(key, revision) },
            Success =
            {
                remove
                    ? new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdKeys.ToBytes(key) } }
                    : Put(key, updated),
            },
        }, cancellationToken: cancellationToken));
        if (!response.Succeeded)
        {
            throw Conflict<T>(meta, null);
        }

        updated.Metadata.ResourceVersion = Version(response.Header.Revision);
        return updated;
    }

    private static ResourceConflictException Conflict<T>(ObjectMeta meta, string? current)
        where T : Resource =>
        new($"{Describe<T>(meta.Name, meta.Namespace)} was modified since it was read (version {meta.ResourceVersion}" +
            $"{(current is null ? "" : $", now {current}")}); read it again and reapply the change.");

    private static void CopyStatus<T>(T from, T to)
        where T : Resource
    {
        var status = typeof(T).GetProperty("Status");
        if (status is not null)
        {
            var json = JsonSerializer.Serialize(status.GetValue(from), status.PropertyType, ResourceJson.Options);
            status.SetValue(to, JsonSerializer.Deserialize(json, status.PropertyType, ResourceJson.Options));
        }
    }

    private static string SpecJson<T>(T resource)
        where T : Resource => JsonSerializer.Serialize(typeof(T).GetProperty("Spec")?.GetValue(resource), ResourceJson.Options);

    private static T Decode<T>(KeyValue kv)
        where T : Resource => (T)Decode(kv, typeof(T));

    private static Resource Decode(KeyValue kv, Type type)
    {
        var resource = (Resource?)JsonSerializer.Deserialize(kv.Value.Span, type, ResourceJson.Options)
            ?? throw new ResourceStoreException($"The value of {EtcdKeys.FromBytes(kv.Key)} is JSON null.");
        resource.Metadata.ResourceVersion = Version(kv.ModRevision);
        return resource;
    }

    private static T Deleted<T>(Mvccpb.Event change)
        where T : Resource
    {
        if (change.PrevKv is { } previous && !previous.Value.IsEmpty)
        {
            var resource = Decode<T>(previous);
            resource.Metadata.ResourceVersion = Version(change.Kv.ModRevision);
            return resource;
        }

        // Without the previous value (compacted), only the identity is known: enough for a cache to drop it.
        var parts = EtcdKeys.FromBytes(change.Kv.Key).Split('/');
        var empty = (T)ResourceKinds.Of<T>().CreateEmpty();
        empty.Metadata.Name = parts[^1];
        empty.Metadata.Namespace = parts[^2];
        empty.Metadata.ResourceVersion = Version(change.Kv.ModRevision);
        return empty;
    }

    private string Prefix<T>(string? namespaceName)
        where T : Resource => Prefix(ResourceKinds.Of<T>(), namespaceName);

    private string Prefix(ResourceKind kind, string? namespaceName)
    {
        var group = kind.Group.Length == 0 ? "core" : kind.Group;
        return namespaceName is null ? $"{etcd.Prefix}/resources/{group}/{kind.Plural}/" : $"{etcd.Prefix}/resources/{group}/{kind.Plural}/{namespaceName}/";
    }

    private string Key<T>(string name, string namespaceName)
        where T : Resource => Prefix<T>(namespaceName) + name;

    private static string Namespace(string? namespaceName) => string.IsNullOrEmpty(namespaceName) ? ObjectMeta.DefaultNamespace : namespaceName;

    private static string Describe<T>(string name, string? namespaceName)
        where T : Resource => $"{ResourceKinds.Of<T>().Kind} {Namespace(namespaceName)}/{name}";

    private static string Version(long revision) => revision.ToString(CultureInfo.InvariantCulture);

    private static RequestOp Put(string key, Resource resource)
    {
        // The version lives in the key's revision, not in the value.
        var version = resource.Metadata.ResourceVersion;
        resource.Metadata.ResourceVersion = null;
        var bytes = ResourceJson.SerializeToUtf8Bytes(resource);
        resource.Metadata.ResourceVersion = version;
        return new RequestOp { RequestPut = new PutRequest { Key = EtcdKeys.ToBytes(key), Value = ByteString.CopyFrom(bytes) } };
    }

    private static Compare CreateRevisionIs(string key, long revision) => new()
    {
        Key = EtcdKeys.ToBytes(key),
        Target = Compare.Types.CompareTarget.Create,
        Result = Compare.Types.CompareResult.Equal,
        CreateRevision = revision,
    };

    private static Compare ModRevisionIs(string key, long revision) => new()
    {
        Key = EtcdKeys.ToBytes(key),
        Target = Compare.Types.CompareTarget.Mod,
        Result = Compare.Types.CompareResult.Equal,
        ModRevision = revision,
    };

    /// <summary>An etcd call whose transport failure becomes <see cref="ResourceStoreUnavailableException"/>.</summary>
    private async Task<TResult> CallAsync<TResult>(Func<Task<TResult>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (EtcdRetry.IsTransient(ex))
        {
            throw new ResourceStoreUnavailableException(
                $"etcd at {string.Join(", ", etcd.ConnectionString.Endpoints)} is unreachable ({ex.Message}); is the stack running?", ex);
        }
    }

    private Task<TResult> CallAsync<TResult>(Func<AsyncUnaryCall<TResult>> call) => CallAsync(async () => await call());
}
