using System.Buffers;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// A blob being written: shared memory to fill in place, seen by nobody else until sealed into an object. Once
/// sealing starts the writer hands out no more memory: its spans, <see cref="Memory"/> and streams throw, and
/// every reader, this process included, reads the object through a read-only mapping. Dispose the writer when done:
/// an unsealed one gives its memory back at once (otherwise it goes when the client disconnects).
/// </summary>
public sealed unsafe class BlobWriter : IDisposable
{
    private const int Open = 0;
    private const int Sealed = 1;
    private const int Disposed = 2;

    /// <summary>Below this, faulting pages in as they are written costs less than asking for them up front (the writer
    /// fills all of its blob).</summary>
    private const long PrefaultThreshold = 256 * 1024;

    private readonly ObjectStoreClient _client;
    private readonly MemoryMapping _mapping;
    private readonly byte* _address;
    private int _state;

    internal BlobWriter(ObjectStoreClient client, ArenaMappings arenas, BlobLocation location)
    {
        _client = client;
        Id = location.Id;
        Capacity = location.Length;
        _mapping = arenas.Writable(location.Arena);
        _address = _mapping.At(location.Offset, location.Length);
        ObjectDisposedException.ThrowIf(!_mapping.TryAddReference(), typeof(ObjectStoreClient));
        if (Capacity >= PrefaultThreshold)
        {
            arenas.PrefaultForWriting(location);
        }
    }

    public ObjectId Id { get; }

    /// <summary>The bytes this blob can hold.</summary>
    public long Capacity { get; }

    /// <summary>True once sealed into an object: its bytes can no longer change.</summary>
    public bool IsSealed => Volatile.Read(ref _state) == Sealed;

    /// <summary>The memory to fill; for blobs over 2 GiB use <see cref="Slice"/>.</summary>
    public Span<byte> Span => Slice(0, Capacity <= int.MaxValue
        ? (int)Capacity
        : throw new InvalidOperationException($"Blob {Id} holds {Capacity} bytes, more than one span covers; fill it with Slice."));

    /// <summary>The memory to fill, for APIs that take Memory; like the spans, it refuses once the blob is sealed.</summary>
    public Memory<byte> Memory => Capacity <= int.MaxValue
        ? new WriterMemory(this).Memory
        : throw new InvalidOperationException($"Blob {Id} holds {Capacity} bytes, more than one Memory covers; fill it with Slice.");

    public Span<byte> Slice(long offset, int length) => new(Pointer(offset, length), length);

    /// <summary>The memory as elements of an unmanaged type, to write a column or a tensor directly.</summary>
    public Span<T> AsSpan<T>()
        where T : unmanaged => new(Pointer(0, Capacity), checked((int)(Capacity / sizeof(T))));

    /// <summary>A writable stream over the memory, of any length.</summary>
    public Stream AsStream() => new UnmanagedMemoryStream(Pointer(0, Capacity), Capacity, Capacity, FileAccess.Write);

    /// <summary>The metadata leaf that puts this blob into an object, with the bytes actually written.</summary>
    public ObjectMeta Leaf(long? length = null)
    {
        var used = length ?? Capacity;
        ArgumentOutOfRangeException.ThrowIfNegative(used);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(used, Capacity);
        return ObjectMeta.Blob(Id, used);
    }

    /// <summary>Seals the first <paramref name="length"/> bytes (all by default) as a <c>fluid::Buffer</c> object.</summary>
    public Task<ObjectId> SealAsync(PutOptions? options = null, long? length = null, CancellationToken cancellationToken = default) =>
        _client.CreateObjectAsync(ObjectTypes.Buffer(Leaf(length)), options, cancellationToken);

    /// <summary>Gives the memory back if the blob was never sealed.</summary>
    public void Dispose()
    {
        var previous = Interlocked.Exchange(ref _state, Disposed);
        if (previous == Disposed)
        {
            return;
        }

        _mapping.Release();
        if (previous == Open)
        {
            _client.DropBlob(Id);
        }
    }

    /// <summary>
    /// Just before the seal request: from here on the writer hands out no memory. <see cref="Reopen"/> undoes it
    /// when the daemon refuses the seal, so that the writer can fix what was wrong.
    /// </summary>
    internal void Seal()
    {
        ObjectDisposedException.ThrowIf(Interlocked.CompareExchange(ref _state, Sealed, Open) == Disposed, this);
    }

    internal void Reopen() => Interlocked.CompareExchange(ref _state, Open, Sealed);

    private byte* Pointer(long offset, long length)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == Disposed, this);
        if (Volatile.Read(ref _state) == Sealed)
        {
            throw new InvalidOperationException($"Blob {Id} is sealed; its bytes can no longer be written. Get the object to read them.");
        }

        return offset < 0 || length < 0 || offset > Capacity - length
            ? throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {offset}+{length}) is outside blob {Id} of {Capacity} bytes.")
            : _address + offset;
    }

    /// <summary>The blob as a <see cref="Memory{T}"/> that asks the writer for its memory each time it is used.</summary>
    private sealed class WriterMemory(BlobWriter writer) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => writer.Span;

        public override MemoryHandle Pin(int elementIndex = 0) => new(writer.Pointer(elementIndex, 0));

        public override void Unpin()
        {
            // Shared memory does not move.
        }

        protected override void Dispose(bool disposing)
        {
            // The writer, not this view, owns the memory.
        }
    }
}
