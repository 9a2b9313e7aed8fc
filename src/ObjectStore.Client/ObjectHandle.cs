using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// A sealed object got from the store: its metadata and its blobs, mapped in place. While the handle lives the
/// daemon keeps the object in memory (a delete waits for the release); dispose it to let go.
/// </summary>
public sealed unsafe class ObjectHandle : IDisposable
{
    /// <summary>Beyond this many blobs, <see cref="Blob"/> looks them up in an index rather than one by one.</summary>
    private const int LinearSearchLimit = 16;

    private readonly IpcChannel _channel;
    private readonly MemoryMapping[] _mappings;
    private readonly BlobView[] _blobs;
    private Dictionary<ObjectId, BlobView>? _byId;
    private int _disposed;

    internal ObjectHandle(IpcChannel channel, ArenaMappings arenas, ObjectMeta meta, IReadOnlyList<BlobLocation> locations, bool prefault)
    {
        _channel = channel;
        Meta = meta;
        var mappings = new List<MemoryMapping>();
        try
        {
            var blobs = new BlobView[locations.Count];
            for (var i = 0; i < locations.Count; i++)
            {
                var location = locations[i];
                var mapping = arenas.Readable(location.Arena);
                if (!mappings.Contains(mapping))
                {
                    ObjectDisposedException.ThrowIf(!mapping.TryAddReference(), typeof(ObjectStoreClient));

                    mappings.Add(mapping);
                }

                blobs[i] = new BlobView(this, location.Id, mapping.At(location.Offset, location.Length), location.Length);
                if (prefault)
                {
                    mapping.Prefault(location.Offset, location.Length, forWriting: false);
                }
            }

            _blobs = blobs;
            _mappings = [.. mappings];
        }
        catch
        {
            mappings.ForEach(m => m.Release());
            throw;
        }
    }

    public ObjectId Id => Meta.Id;

    public string TypeName => Meta.TypeName;

    public ObjectMeta Meta { get; }

    /// <summary>The blobs, in the order of <see cref="ObjectMeta.Blobs"/>.</summary>
    public IReadOnlyList<BlobView> Blobs => _blobs;

    /// <summary>The bytes of a blob leaf of <see cref="Meta"/>.</summary>
    public BlobView Blob(ObjectMeta leaf) =>
        leaf.IsBlob && Find(leaf.Id) is { } blob
            ? blob
            : throw new ArgumentException($"{leaf} is not a blob of {Meta}.", nameof(leaf));

    /// <summary>The blob that is the member <paramref name="name"/> of the object.</summary>
    public BlobView Member(string name) => Blob(Meta.Member(name));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _channel.Release(Id);
        foreach (var mapping in _mappings)
        {
            mapping.Release();
        }
    }

    private BlobView? Find(ObjectId id)
    {
        if (_blobs.Length <= LinearSearchLimit)
        {
            foreach (var blob in _blobs)
            {
                if (blob.Id == id)
                {
                    return blob;
                }
            }

            return null;
        }

        // Made on the first lookup, as most handles are read whole and never looked up in; a race makes two equal ones.
        var byId = Volatile.Read(ref _byId);
        if (byId is null)
        {
            byId = _blobs.ToDictionary(b => b.Id);
            Volatile.Write(ref _byId, byId);
        }

        return byId.GetValueOrDefault(id);
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
}
