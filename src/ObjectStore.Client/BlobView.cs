using System.Runtime.InteropServices;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// The bytes of one sealed blob, read in place from shared memory: no copy is made by any member of this type
/// except <see cref="AsStream"/>'s reads. Valid until the <see cref="ObjectHandle"/> it came from is disposed.
/// </summary>
public sealed unsafe class BlobView
{
    private readonly ObjectHandle _owner;
    private readonly byte* _address;

    internal BlobView(ObjectHandle owner, ObjectId id, byte* address, long length)
    {
        _owner = owner;
        Id = id;
        _address = address;
        Length = length;
    }

    public ObjectId Id { get; }

    public long Length { get; }

    /// <summary>The address of the first byte, for native code; valid while the handle is not disposed.</summary>
    public nint Address
    {
        get
        {
            _owner.ThrowIfDisposed();
            return (nint)_address;
        }
    }

    /// <summary>All the bytes; for blobs over 2 GiB use <see cref="Slice"/> or <see cref="AsStream"/>.</summary>
    public ReadOnlySpan<byte> Span => Slice(0, SpanLength(Length, 1));

    /// <summary>All the bytes as Memory, for APIs that take it (Arrow buffers, streams, sockets).</summary>
    public ReadOnlyMemory<byte> Memory => new NativeMemoryManager<byte>(Pointer(0, Length), SpanLength(Length, 1)).Memory;

    public ReadOnlySpan<byte> Slice(long offset, int length) => new(Pointer(offset, length), length);

    /// <summary>The bytes as elements of an unmanaged type, e.g. a column of doubles.</summary>
    public ReadOnlySpan<T> AsSpan<T>()
        where T : unmanaged => new(Pointer(0, Length), SpanLength(Length / sizeof(T), sizeof(T)));

    /// <summary>The elements as Memory, without copying.</summary>
    public ReadOnlyMemory<T> AsMemory<T>()
        where T : unmanaged => new NativeMemoryManager<T>((T*)Pointer(0, Length), SpanLength(Length / sizeof(T), sizeof(T))).Memory;

    /// <summary>A read-only stream over the bytes, of any length.</summary>
    public Stream AsStream() => new UnmanagedMemoryStream(Pointer(0, Length), Length, Length, FileAccess.Read);

    internal byte* Pointer(long offset, long length)
    {
        _owner.ThrowIfDisposed();
        if (offset < 0 || length < 0 || offset > Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {offset}+{length}) is outside blob {Id} of {Length} bytes.");
        }

        return _address + offset;
    }

    private int SpanLength(long count, int elementSize) => count <= int.MaxValue
        ? (int)count
        : throw new InvalidOperationException(
            $"Blob {Id} holds {Length} bytes, more than one span can cover ({int.MaxValue} elements of {elementSize} bytes); read it with Slice or AsStream.");
}
