using Fluid.Aspire.Cluster.Resilience;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Etcdserverpb;
using Fluid.Aspire.ApiServer.Http;
using Fluid.Aspire.ApiServer.Kinds;
using Fluid.Aspire.Cluster.Etcd;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Mvccpb;

namespace Fluid.Aspire.ApiServer.Storage;

/// <summary>
/// Objects as JSON documents in etcd, one key per object:
/// <c>{prefix}/resources/{group|core}/{plural}/[{namespace}/]{name}</c>. The key's modification revision is the
/// object's <c>metadata.resourceVersion</c> (it is not stored in the value), so a conditional write is a transaction
/// comparing it, and a watch resumes from a revision until etcd compacts it away. The objects of a kind that
/// <see cref="ServedKind.Expires"/> are written under an etcd lease, and go <c>Fluid:ApiServer:EventTtl</c> after their
/// last write.
/// </summary>
public sealed class ObjectStorage(EtcdConnection etcd, IOptions<ApiServerOptions> options, TimeProvider clock)
{
    private readonly RecentWrites _recent = new(16_384);
    private readonly ExpiryLeases _leases = new(etcd, clock);

    /// <summary>The prefix under which every object of the stack lives.</summary>
    public string Root => $"{etcd.Prefix}/resources/";

    /// <summary>The object, or null when there is none.</summary>
    public async Task<JsonObject?> GetAsync(ServedKind kind, string? namespaceName, string name, CancellationToken cancellationToken)
    {
        var range = await CallAsync(() => etcd.KeyValue.RangeAsync(
            new RangeRequest { Key = EtcdKeys.ToBytes(Key(kind, namespaceName, name)) }, cancellationToken: cancellationToken));
        return range.Kvs.Count == 0 ? null : Decode(range.Kvs[0]);
    }

    /// <summary>
    /// The object for an update that expects it at <paramref name="resourceVersion"/>: as this server last wrote it
    /// when that was at this version (no read from etcd), else as etcd has it. Null when there is none.
    /// </summary>
    public async Task<JsonObject?> GetForUpdateAsync(ServedKind kind, string? namespaceName, string name, string? resourceVersion, CancellationToken cancellationToken)
    {
        if (long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var revision)
            && _recent.TryGet(Key(kind, namespaceName, name), revision, out var value))
        {
            return Stamp(JsonNode.Parse(value.Span)!.AsObject(), revision);
        }

        return await GetAsync(kind, namespaceName, name, cancellationToken);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> objects (all when 0) of a kind in a namespace (every namespace when null), after
    /// the key <paramref name="continueAfter"/>, read at <paramref name="revision"/> (now when 0).
    /// </summary>
    /// <exception cref="ApiException">410 when the revision has been compacted.</exception>
    public async Task<StoredPage> ListAsync(
        ServedKind kind, string? namespaceName, Func<JsonObject, bool> filter, long limit, long revision, string? continueAfter, CancellationToken cancellationToken)
    {
        const long PageSize = 500;
        var prefix = Prefix(kind, namespaceName);
        var next = continueAfter is null ? EtcdKeys.ToBytes(prefix) : ByteString.CopyFrom([.. EtcdKeys.ToBytes(continueAfter).Span, 0]);
        var items = new List<JsonObject>();
        while (true)
        {
            // Every page reads at the first page's revision: together they form one snapshot.
            var page = await CallAsync(() => etcd.KeyValue.RangeAsync(new RangeRequest
            {
                Key = next,
                RangeEnd = EtcdKeys.PrefixRangeEnd(prefix),
                Limit = PageSize,
                Revision = revision,
            }, cancellationToken: cancellationToken));
            revision = revision == 0 ? page.Header.Revision : revision;
            for (var i = 0; i < page.Kvs.Count; i++)
            {
                var item = Decode(page.Kvs[i]);
                if (!filter(item))
                {
                    continue;
                }

                items.Add(item);
                if (limit > 0 && items.Count == limit)
                {
                    var more = i < page.Kvs.Count - 1 || page.More;
                    return new StoredPage(items, revision, more ? EtcdKeys.FromBytes(page.Kvs[i].Key) : null);
                }
            }

            if (!page.More || page.Kvs.Count == 0)
            {
                return new StoredPage(items, revision, null);
            }

            next = ByteString.CopyFrom([.. page.Kvs[^1].Key.Span, 0]);
        }
    }

    /// <summary>
    /// Stores a new object, in one transaction with the check that its namespace exists; null when one of that name
    /// exists.
    /// </summary>
    /// <exception cref="ApiException">404 when the object's namespace does not exist.</exception>
    public async Task<JsonObject?> CreateAsync(ServedKind kind, JsonObject value, CancellationToken cancellationToken)
    {
        var key = Key(kind, value);
        var namespaceName = kind.Namespaced ? value["metadata"]?["namespace"]?.GetValue<string>() : null;
        var (response, bytes) = await WriteAsync(kind, key, value, put =>
        {
            var request = new TxnRequest
            {
                Compare = { new Compare { Key = EtcdKeys.ToBytes(key), Target = Compare.Types.CompareTarget.Create, CreateRevision = 0 } },
                Success = { put },
            };
            if (namespaceName is not null)
            {
                request.Compare.Add(new Compare
                {
                    Key = EtcdKeys.ToBytes(Key(ServedKinds.Namespace, null, namespaceName)),
                    Target = Compare.Types.CompareTarget.Create,
                    Result = Compare.Types.CompareResult.Greater,
                    CreateRevision = 0,
                });
            }

            return request;
        }, cancellationToken);
        if (response.Succeeded)
        {
            _recent.Wrote(key, response.Header.Revision, bytes);
            return Stamp(value, response.Header.Revision);
        }

        if (namespaceName is not null && await GetAsync(ServedKinds.Namespace, null, namespaceName, cancellationToken) is null)
        {
            throw ApiException.NotFound("namespaces", "", namespaceName);
        }

        return null;
    }

    /// <summary>Writes an object if its key was last written at <paramref name="revision"/>; null when it was not (a conflict).</summary>
    public async Task<JsonObject?> ReplaceAsync(ServedKind kind, JsonObject value, long revision, CancellationToken cancellationToken)
    {
        var key = Key(kind, value);
        var (response, bytes) = await WriteAsync(kind, key, value, put => new TxnRequest
        {
            Compare = { ModRevisionIs(key, revision) },
            Success = { put },
        }, cancellationToken);
        if (!response.Succeeded)
        {
            return null;
        }

        _recent.Wrote(key, response.Header.Revision, bytes);
        return Stamp(value, response.Header.Revision);
    }

    /// <summary>Removes an object if its key was last written at <paramref name="revision"/>; the revision of the removal, or null on a conflict.</summary>
    public async Task<long?> RemoveAsync(ServedKind kind, JsonObject value, long revision, CancellationToken cancellationToken)
    {
        var key = Key(kind, value);
        var response = await CallAsync(() => etcd.KeyValue.TxnAsync(new TxnRequest
        {
            Compare = { ModRevisionIs(key, revision) },
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdKeys.ToBytes(key) } } },
        }, cancellationToken: cancellationToken));
        if (!response.Succeeded)
        {
            return null;
        }

        _recent.Removed(key);
        return response.Header.Revision;
    }

    /// <summary>The current revision of the store.</summary>
    public async Task<long> RevisionAsync(CancellationToken cancellationToken)
    {
        var range = await CallAsync(() => etcd.KeyValue.RangeAsync(
            new RangeRequest { Key = EtcdKeys.ToBytes(Root), CountOnly = true }, cancellationToken: cancellationToken));
        return range.Header.Revision;
    }

    /// <summary>
    /// Every change to objects of a kind (of every kind when null) after <paramref name="afterRevision"/>, in order, as
    /// <paramref name="options"/> asks for them.
    /// </summary>
    /// <exception cref="ApiException">410 when the revision has been compacted; 503 when etcd ends the watch.</exception>
    public async IAsyncEnumerable<StorageEvent> WatchAsync(
        ServedKind? kind, string? namespaceName, long afterRevision, StorageWatchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prefix = kind is null ? Root : Prefix(kind, namespaceName);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var call = etcd.Watches.Watch(cancellationToken: stop.Token);
        await CallAsync(async () =>
        {
            var create = new WatchCreateRequest
            {
                Key = EtcdKeys.ToBytes(prefix),
                RangeEnd = EtcdKeys.PrefixRangeEnd(prefix),
                StartRevision = afterRevision + 1,
                PrevKv = true,
            };
            if (options.DeletionsOnly)
            {
                create.Filters.Add(WatchCreateRequest.Types.FilterType.Noput);
            }

            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = create }, stop.Token);
            return true;
        });

        var progress = options.ProgressEvery is { } every ? RequestProgressAsync(call.RequestStream, every, stop.Token) : Task.CompletedTask;
        try
        {
            while (await CallAsync(() => call.ResponseStream.MoveNext(stop.Token)))
            {
                var response = call.ResponseStream.Current;
                if (response.CompactRevision > 0)
                {
                    throw ApiException.Gone(
                        $"too old resource version: {afterRevision} ({response.CompactRevision}); list again and watch from the list's resourceVersion");
                }

                if (response.Canceled)
                {
                    throw ApiException.ServiceUnavailable($"etcd ended the watch: {response.CancelReason}");
                }

                if (response.Events.Count == 0 && !response.Created)
                {
                    yield return new StorageEvent(StorageEventType.Progress, null, null, response.Header.Revision);
                }

                foreach (var change in response.Events)
                {
                    var deleted = change.Type == Mvccpb.Event.Types.EventType.Delete;
                    var previous = change.PrevKv is { Value.IsEmpty: false } before && (deleted || options.PreviousOfWrites) ? Decode(before) : null;
                    yield return deleted
                        ? new StorageEvent(StorageEventType.Deleted, previous is null ? null : Stamp(previous, change.Kv.ModRevision), previous, change.Kv.ModRevision)
                        : new StorageEvent(
                            change.Kv.CreateRevision == change.Kv.ModRevision ? StorageEventType.Added : StorageEventType.Modified,
                            Decode(change.Kv), previous, change.Kv.ModRevision);
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await progress.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        throw ApiException.ServiceUnavailable("etcd closed the watch; list again and watch from the list's resourceVersion");
    }

    private string Prefix(ServedKind kind, string? namespaceName)
    {
        var group = kind.Group.Length == 0 ? "core" : kind.Group;
        return kind.Namespaced && namespaceName is not null
            ? $"{Root}{group}/{kind.Plural}/{namespaceName}/"
            : $"{Root}{group}/{kind.Plural}/";
    }

    private string Key(ServedKind kind, string? namespaceName, string name) => Prefix(kind, kind.Namespaced ? namespaceName : null) + name;

    private string Key(ServedKind kind, JsonObject value) =>
        Key(kind, value["metadata"]?["namespace"]?.GetValue<string>(), value["metadata"]!["name"]!.GetValue<string>());

    private static JsonObject Decode(KeyValue kv) => Stamp(JsonNode.Parse(kv.Value.Span)!.AsObject(), kv.ModRevision);

    /// <summary>Sets <c>metadata.resourceVersion</c> to the revision that wrote the object.</summary>
    private static JsonObject Stamp(JsonObject value, long revision)
    {
        var metadata = value["metadata"] as JsonObject ?? [];
        metadata["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        value["metadata"] = metadata;
        return value;
    }

    /// <summary>
    /// A transaction around the put of an object; an object of a kind that expires is put under a lease, so that each
    /// write starts its time to live again, as kube-apiserver's event TTL does.
    /// </summary>
    private async Task<(TxnResponse Response, byte[] Value)> WriteAsync(
        ServedKind kind, string key, JsonObject value, Func<RequestOp, TxnRequest> transaction, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var lease = kind.Expires ? await CallAsync(() => _leases.ForAsync(options.Value.EventTtl, cancellationToken)) : 0;
            var (put, bytes) = Put(key, value, lease);
            try
            {
                return (await CallAsync(() => etcd.KeyValue.TxnAsync(transaction(put), cancellationToken: cancellationToken)), bytes);
            }
            catch (RpcException ex) when (lease != 0 && attempt == 1 && ex.StatusCode == StatusCode.NotFound)
            {
                // The lease is gone (revoked, or etcd lost it): once more, under a new one.
                _leases.Forget(lease);
            }
        }
    }

    private static (RequestOp Put, byte[] Value) Put(string key, JsonObject value, long lease)
    {
        // The version lives in the key's revision, not in the value: left out while writing, then put back.
        var metadata = value["metadata"] as JsonObject;
        var version = metadata?["resourceVersion"];
        metadata?.Remove("resourceVersion");
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value);
        if (version is not null)
        {
            metadata!["resourceVersion"] = version;
        }

        return (new RequestOp { RequestPut = new PutRequest { Key = EtcdKeys.ToBytes(key), Value = ByteString.CopyFrom(bytes), Lease = lease } }, bytes);
    }

    private static Compare ModRevisionIs(string key, long revision) => new()
    {
        Key = EtcdKeys.ToBytes(key),
        Target = Compare.Types.CompareTarget.Mod,
        Result = Compare.Types.CompareResult.Equal,
        ModRevision = revision,
    };

    private static async Task RequestProgressAsync(IClientStreamWriter<WatchRequest> requests, TimeSpan every, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(every);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            await requests.WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() }, cancellationToken);
        }
    }

    /// <summary>An etcd call; a compacted revision becomes 410 and an unreachable etcd 503.</summary>
    private async Task<TResult> CallAsync<TResult>(Func<Task<TResult>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException ex) when (ex.Status.Detail.Contains("compacted", StringComparison.Ordinal))
        {
            throw ApiException.Gone($"too old resource version: {ex.Status.Detail}; list again");
        }
        catch (Exception ex) when (TransientRetry.IsTransient(ex))
        {
            throw ApiException.ServiceUnavailable(
                $"etcd at {string.Join(", ", etcd.ConnectionString.Endpoints)} is unreachable ({ex.Message}); the API server retries with the next request");
        }
    }

    private Task<TResult> CallAsync<TResult>(Func<AsyncUnaryCall<TResult>> call) => CallAsync(async () => await call());
}
