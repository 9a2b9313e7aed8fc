using System.Collections.Concurrent;

namespace Fluid.Aspire.ApiServer.Storage;

/// <summary>
/// The value this server last wrote under each key, with the revision of that write, so that an update of an object
/// it wrote (nearly every update: a controller writes back what its watch showed) needs no read from etcd. A hint
/// only: etcd's compare on the revision still decides every write. Two generations bound the memory: when the
/// current one is full it becomes the previous one, and the previous one is dropped.
/// </summary>
internal sealed class RecentWrites(int capacityPerGeneration)
{
    private readonly Lock _swap = new();
    private ConcurrentDictionary<string, Entry> _current = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, Entry> _previous = new(StringComparer.Ordinal);

    /// <summary>The value written under <paramref name="key"/> at <paramref name="revision"/>, if that is the last write this server knows of.</summary>
    public bool TryGet(string key, long revision, out ReadOnlyMemory<byte> value)
    {
        if ((_current.TryGetValue(key, out var entry) || _previous.TryGetValue(key, out entry)) && entry.Revision == revision)
        {
            value = entry.Value;
            return true;
        }

        value = default;
        return false;
    }

    public void Wrote(string key, long revision, byte[] value)
    {
        _current[key] = new Entry(revision, value);
        if (_current.Count > capacityPerGeneration)
        {
            lock (_swap)
            {
                if (_current.Count > capacityPerGeneration)
                {
                    _previous = _current;
                    _current = new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal);
                }
            }
        }
    }

    public void Removed(string key)
    {
        _current.TryRemove(key, out _);
        _previous.TryRemove(key, out _);
    }

    private readonly record struct Entry(long Revision, byte[] Value);
}
