using System.Buffers;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// A blob being written: shared memory to fill in place, seen by nobody else until sealed into an object. Once
/// sealing starts the writer hands out no more memory: new spans, <see cref="Memory"/>'s uses and its streams' writes
/// throw, and every reader, this process included, reads the object through a read-only mapping. A span or pinned
/// pointer taken before the seal is not revoked: finish writing before sealing, as with any buffer handed to I/O.
/// Dispose the writer when done: an unsealed one gives its memory back at once (otherwise it goes when the client
/// disconnects, which also closes the writer).
/// </summary>
public sealed unsafe class BlobWriter : IDisposable
{
    private const int Open = 0;
    private const int Sealed = 1;
    private const int Disposed = 2;

    /// <summary>Disposed while its seal was on the way: if the daemon refuses the seal, the blob is dropped then.</summary>
    private const int DisposedWhileSealing = 3;

    /// <summary>Below this, faulting pages in as they are written costs less than asking for them up front (the writer
    /// fills all of its blob).</summary>
    private const long PrefaultThreshold = 256 * 1024;

    private readonly ObjectStoreClient _client;
    private readonly MemoryMapping _mapping;
    private readonly byte* _address;
    private int _state;

    /// <summary>Stream writes copying into the memory now: a seal or dispose waits for them to finish.</summary>
    private int _writesInFlight;

    internal BlobWriter(ObjectStoreClient client, ArenaMappings arenas, BlobLocation location)
    {
        _client = client;
        Id = location.Id;
        Capacity = location.Length;
        _mapping = arenas.Writable(location.Arena);
        _address = _mapping.At(location.Offset, location.Length);
        ObjectDisposedException.ThrowIf(!_mapping.TryAddReference(), typeof(ObjectStoreClient));
        try
        {
            if (Capacity >= PrefaultThreshold)
            {
                arenas.PrefaultForWriting(location);
            }
        }
        catch
        {
            _mapping.Release();
            throw;
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

    /// <summary>A writable stream over the memory, of any length; its writes refuse once the blob is sealed.</summary>
    public Stream AsStream()
    {
        EnsureWritable();
        return new WriterStream(this);
    }

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
        int previous;
        do
        {
            previous = Volatile.Read(ref _state);
            if (previous is Disposed or DisposedWhileSealing)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _state, previous == Sealed ? DisposedWhileSealing : Disposed, previous) != previous);

        WaitForWrites();
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
        switch (Interlocked.CompareExchange(ref _state, Sealed, Open))
        {
            case Open:
                WaitForWrites();
                return;
            case Sealed:
                throw new InvalidOperationException(
                    $"Blob {Id} is already sealed, or another call is sealing it; a blob goes into one new object only. " +
                    "To put it into more objects, name it in their metadata once it is sealed.");
            default:
                throw new ObjectDisposedException(nameof(BlobWriter), $"Blob {Id}'s writer was disposed; create a new blob to write.");
        }
    }

    /// <summary>The daemon refused the seal: the writer is open again, or, if it was disposed meanwhile, the blob goes.</summary>
    internal void Reopen()
    {
        if (Interlocked.CompareExchange(ref _state, Open, Sealed) == DisposedWhileSealing
            && Interlocked.CompareExchange(ref _state, Disposed, DisposedWhileSealing) == DisposedWhileSealing)
        {
            _client.DropBlob(Id);
        }
    }

    private void EnsureWritable()
    {
        var state = Volatile.Read(ref _state);
        ObjectDisposedException.ThrowIf(state is Disposed or DisposedWhileSealing, this);
        if (state == Sealed)
        {
            throw new InvalidOperationException($"Blob {Id} is sealed; its bytes can no longer be written. Get the object to read them.");
        }
    }

    /// <summary>
    /// Admits one stream write, or refuses it once sealing or disposal has begun. A write admitted before is waited
    /// for, so that none lands in memory that is sealed or given back.
    /// </summary>
    private void BeginWrite()
    {
        // Counted before the check, and the seal or dispose changes the state before it counts: each side sees the other.
        Interlocked.Increment(ref _writesInFlight);
        try
        {
            EnsureWritable();
        }
        catch
        {
            EndWrite();
            throw;
        }
    }

    private void EndWrite() => Interlocked.Decrement(ref _writesInFlight);

    private void WaitForWrites()
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _writesInFlight) != 0)
        {
            spin.SpinOnce();
        }
    }

    private byte* Pointer(long offset, long length)
    {
        EnsureWritable();

        return offset < 0 || length < 0 || offset > Capacity - length
            ? throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {offset}+{length}) is outside blob {Id} of {Capacity} bytes.")
            : _address + offset;
    }

    /// <summary>A write-only stream over the blob whose every write the writer admits and waits for.</summary>
    private sealed class WriterStream(BlobWriter writer) : Stream
    {
        private readonly UnmanagedMemoryStream _memory = new(writer._address, writer.Capacity, writer.Capacity, FileAccess.Write);

        public override bool CanRead => false;

        public override bool CanSeek => true;

        public override bool CanWrite => true;

        public override long Length => _memory.Length;

        public override long Position
        {
            get => _memory.Position;
            set => _memory.Position = value;
        }

        public override long Seek(long offset, SeekOrigin origin) => _memory.Seek(offset, origin);

        public override void SetLength(long value) => _memory.SetLength(value);

        public override void Flush()
        {
            // Writes land in shared memory as they happen.
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("A blob's writer stream is write-only.");

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            writer.BeginWrite();
            try
            {
                _memory.Write(buffer);
            }
            finally
            {
                writer.EndWrite();
            }
        }

        public override void WriteByte(byte value)
        {
            writer.BeginWrite();
            try
            {
                _memory.WriteByte(value);
            }
            finally
            {
                writer.EndWrite();
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _memory.Dispose();
            }

            base.Dispose(disposing);
        }
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
