using System.Diagnostics.CodeAnalysis;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>
/// The store's blobs by id, with running counts by state: stats must cost the same for ten blobs and for a million,
/// since they are read under the store's lock that every client's request also needs. Guarded by that lock.
/// </summary>
internal sealed class BlobTable
{
    private readonly Dictionary<ObjectId, Blob> _byId = [];
    private readonly int[] _counts = new int[Enum.GetValues<BlobState>().Length];
    private long _spilledBytes;

    public int Count => _byId.Count;

    public IEnumerable<Blob> Values => _byId.Values;

    /// <summary>Bytes of the blobs that are only in the spill directory.</summary>
    public long SpilledBytes => _spilledBytes;

    public int CountIn(BlobState state) => _counts[(int)state];

    public bool TryGetValue(ObjectId id, [MaybeNullWhen(false)] out Blob blob) => _byId.TryGetValue(id, out blob);

    public bool ContainsKey(ObjectId id) => _byId.ContainsKey(id);

    public void Add(Blob blob)
    {
        _byId.Add(blob.Id, blob);
        blob.Table = this;
        Tally(blob.State, blob.Length, 1);
    }

    /// <summary>
    /// Takes the blob out; false if it was not in. A blob fetched again after its copy went has the old one's id: a
    /// late removal of the old one must leave the new one, and its counts, alone.
    /// </summary>
    public bool Remove(Blob blob)
    {
        if (!_byId.TryGetValue(blob.Id, out var present) || !ReferenceEquals(present, blob))
        {
            return false;
        }

        _byId.Remove(blob.Id);
        blob.Table = null;
        Tally(blob.State, blob.Length, -1);
        return true;
    }

    /// <summary>Told by a blob of this table as its state changes. A blob's length changes only while it is unsealed.</summary>
    public void Moved(Blob blob, BlobState from, BlobState to)
    {
        Tally(from, blob.Length, -1);
        Tally(to, blob.Length, 1);
    }

    private void Tally(BlobState state, long length, int sign)
    {
        _counts[(int)state] += sign;
        if (state == BlobState.Spilled)
        {
            _spilledBytes += sign * length;
        }
    }
}
