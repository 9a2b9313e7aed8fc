using System.Runtime.InteropServices;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// A blob being written, seen by nobody else until sealed into an object. A blob of
/// <see cref="BlobPages.OwnPagesFrom"/> bytes or more is shared memory filled in place: its own pages of this
/// process's arena mapping are writable until it is sealed, then read-only again. A smaller one is private memory,
/// copied into the store when it is sealed. Either way a sealed blob cannot be changed, by its writer either.
/// Dispose the writer when done: an unsealed one gives its memory back at once (otherwise it goes when the client
/// disconnects).
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
    private readonly ArenaMappings _arenas;
    private readonly BlobLocation _location;
    private readonly bool _inPlace;
    private readonly byte* _address;
    private int _state;

    internal BlobWriter(ObjectStoreClient client, ArenaMappings arenas, BlobLocation location)
    {
        _client = client;
        _arenas = arenas;
        _location = location;
        Id = location.Id;
        Capacity = location.Length;
        _inPlace = BlobPages.HasOwnPages(Capacity);
        if (_inPlace)
        {
            _address = arenas.Protect(location, writable: true);
            if (Capacity >= PrefaultThreshold)
            {
                arenas.PrefaultForWriting(location);
            }
        }
        else
        {
            _address = (byte*)NativeMemory.AllocZeroed((nuint)Capacity);
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

    public Memory<byte> Memory => new NativeMemoryManager<byte>(Pointer(0, Capacity), checked((int)Capacity)).Memory;

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

    /// <summary>Gives the memory back if the blob was never sealed, and unmaps or frees what the writer used.</summary>
    public void Dispose()
    {
        var previous = Interlocked.Exchange(ref _state, Disposed);
        if (previous == Disposed)
        {
            return;
        }

        if (!_inPlace)
        {
            NativeMemory.Free(_address);
        }
        else if (previous == Open)
        {
            // Read-only before the daemon can hand these pages to anyone else.
            _arenas.Protect(_location, writable: false);
        }

        if (previous == Open)
        {
            _client.DropBlob(Id);
        }
    }

    /// <summary>
    /// Just before the seal request: the bytes must be in the store, and no mapping of this process may write
    /// them any more. <see cref="CancelSeal"/> undoes it when the daemon refuses the seal.
    /// </summary>
    internal void PrepareSeal()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == Disposed, this);
        if (_inPlace)
        {
            _arenas.Protect(_location, writable: false);
        }
        else
        {
            _arenas.Write(_location, new ReadOnlySpan<byte>(_address, checked((int)Capacity)));
        }
    }

    internal void CancelSeal()
    {
        if (_inPlace)
        {
            _arenas.Protect(_location, writable: true);
        }
    }

    internal void MarkSealed() => Interlocked.CompareExchange(ref _state, Sealed, Open);

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
}
