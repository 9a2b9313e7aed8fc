using Fluid.Aspire.Cluster.Resilience;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvccpb;

namespace Fluid.Aspire.Cluster.Etcd;

/// <summary>What happened to one key of a watched prefix.</summary>
public enum PrefixChangeKind
{
    Added,
    Modified,
    Deleted,
}

/// <summary>One change seen by an <see cref="EtcdPrefixWatcher{T}"/>.</summary>
public sealed record PrefixChange<T>(PrefixChangeKind Kind, string Key, T? Previous, T? Current, long Revision)
    where T : class;

/// <summary>
/// Keeps a local copy of every key under a prefix: lists it, then watches from the listed revision. When etcd has
/// compacted the revision a watch needs, or the stream breaks, it lists again and reports the difference as changes,
/// so that a consumer sees one consistent stream of changes whatever happened to the connection.
/// </summary>
public sealed class EtcdPrefixWatcher<T>
    where T : class
{
    private const long PageSize = 500;

    private readonly EtcdConnection _etcd;
    private readonly string _prefix;
    private readonly Func<string, ByteString, T> _decode;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Dictionary<string, Entry> _items = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EtcdPrefixWatcher(EtcdConnection etcd, string prefix, Func<string, ByteString, T> decode, ILogger logger)
    {
        _etcd = etcd;
        _prefix = prefix;
        _decode = decode;
        _logger = logger;
    }

    /// <summary>Raised, one change at a time and in revision order, from the watch loop.</summary>
    public event Action<PrefixChange<T>>? Changed;

    /// <summary>The etcd revision the local copy reflects.</summary>
    public long Revision { get; private set; }

    /// <summary>True while the local copy follows etcd; false before the first list and while reconnecting.</summary>
    public bool IsSynced { get; private set; }

    /// <summary>Completes when the first list has been loaded.</summary>
    public Task FirstSync => _firstSync.Task;

    /// <summary>A copy of the current items, by key.</summary>
    public IReadOnlyDictionary<string, T> Snapshot()
    {
        lock (_gate)
        {
            return _items.ToDictionary(e => e.Key, e => e.Value.Value, StringComparer.Ordinal);
        }
    }

    /// <summary>Lists and watches until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var retry = TransientRetry.Forever(_logger, $"Listing {_prefix}");
        while (!cancellationToken.IsCancellationRequested)
        {
            var revision = await retry.ExecuteAsync(ListAsync, cancellationToken);
            try
            {
                await WatchAsync(revision + 1, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && TransientRetry.IsTransient(ex))
            {
                IsSynced = false;
                _logger.LogWarning("Watch of {Prefix} lost ({Reason}); listing again.", _prefix, ex.Message);
            }
        }
    }

    private async ValueTask<long> ListAsync(CancellationToken cancellationToken)
    {
        var listed = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var rangeEnd = EtcdKeys.PrefixRangeEnd(_prefix);
        var next = EtcdKeys.ToBytes(_prefix);
        long revision = 0;
        while (true)
        {
            // Every page reads at the first page's revision, so the pages form one consistent snapshot.
            var page = await _etcd.KeyValue.RangeAsync(
                new RangeRequest { Key = next, RangeEnd = rangeEnd, Limit = PageSize, Revision = revision },
                cancellationToken: cancellationToken);
            if (revision == 0)
            {
                revision = page.Header.Revision;
            }

            foreach (var kv in page.Kvs)
            {
                var key = EtcdKeys.FromBytes(kv.Key);
                if (TryDecode(key, kv.Value) is { } item)
                {
                    listed[key] = new Entry(item, kv.ModRevision);
                }
            }

            if (!page.More || page.Kvs.Count == 0)
            {
                break;
            }

            next = ByteString.CopyFrom([.. page.Kvs[^1].Key.Span, 0]);
        }

        Dictionary<string, Entry> previous;
        lock (_gate)
        {
            previous = _items;
            _items = listed;
            Revision = revision;
        }

        ReportDifference(previous, listed, revision);
        IsSynced = true;
        _firstSync.TrySetResult();
        return revision;
    }

    private async Task WatchAsync(long startRevision, CancellationToken cancellationToken)
    {
        using var call = _etcd.Watches.Watch(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest
            {
                Key = EtcdKeys.ToBytes(_prefix),
                RangeEnd = EtcdKeys.PrefixRangeEnd(_prefix),
                StartRevision = startRevision,
                ProgressNotify = true,
            },
        }, cancellationToken);

        await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            if (response.CompactRevision > 0)
            {
                _logger.LogInformation(
                    "etcd compacted {Prefix} past revision {Revision} (now {Compacted}); listing again.",
                    _prefix, startRevision, response.CompactRevision);
                return;
            }

            if (response.Canceled)
            {
                _logger.LogWarning("etcd cancelled the watch of {Prefix}: {Reason}; listing again.", _prefix, response.CancelReason);
                return;
            }

            foreach (var change in response.Events)
            {
                Apply(change);
            }

            if (response.Header is { } header)
            {
                lock (_gate)
                {
                    Revision = Math.Max(Revision, header.Revision);
                }
            }
        }
    }

    private void Apply(Event change)
    {
        var key = EtcdKeys.FromBytes(change.Kv.Key);
        var revision = change.Kv.ModRevision;
        PrefixChange<T>? reported;
        lock (_gate)
        {
            var previous = _items.TryGetValue(key, out var entry) ? entry.Value : null;
            if (change.Type == Event.Types.EventType.Delete)
            {
                _items.Remove(key);
                reported = previous is null ? null : new PrefixChange<T>(PrefixChangeKind.Deleted, key, previous, null, revision);
            }
            else if (TryDecode(key, change.Kv.Value) is { } current)
            {
                _items[key] = new Entry(current, revision);
                var kind = previous is null ? PrefixChangeKind.Added : PrefixChangeKind.Modified;
                reported = new PrefixChange<T>(kind, key, previous, current, revision);
            }
            else
            {
                reported = null;
            }

            Revision = Math.Max(Revision, revision);
        }

        if (reported is not null)
        {
            Changed?.Invoke(reported);
        }
    }

    private void ReportDifference(Dictionary<string, Entry> previous, Dictionary<string, Entry> current, long revision)
    {
        foreach (var (key, old) in previous)
        {
            if (!current.ContainsKey(key))
            {
                Changed?.Invoke(new PrefixChange<T>(PrefixChangeKind.Deleted, key, old.Value, null, revision));
            }
        }

        foreach (var (key, item) in current)
        {
            if (!previous.TryGetValue(key, out var old))
            {
                Changed?.Invoke(new PrefixChange<T>(PrefixChangeKind.Added, key, null, item.Value, revision));
            }
            else if (old.ModRevision != item.ModRevision)
            {
                Changed?.Invoke(new PrefixChange<T>(PrefixChangeKind.Modified, key, old.Value, item.Value, revision));
            }
        }
    }

    private T? TryDecode(string key, ByteString value)
    {
        try
        {
            return _decode(key, value);
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException or ArgumentException)
        {
            // One bad value must not stop the watch of every other key.
            _logger.LogWarning("Ignoring {Key}: its value cannot be read ({Reason}).", key, ex.Message);
            return null;
        }
    }

    /// <summary>An item with the revision that last wrote it, to tell a changed key from an unchanged one on relist.</summary>
    private readonly record struct Entry(T Value, long ModRevision);
}
