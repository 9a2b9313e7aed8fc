using System.Buffers;

namespace Fluid.Aspire.ObjectStore.Native;

/// <summary>
/// Lets a range of a shared-memory mapping be a <see cref="Memory{T}"/>, so that APIs that take Memory (Arrow
/// buffers, socket sends) read the mapping itself, not a copy. The mapping's owner decides its lifetime.
/// </summary>
public sealed unsafe class NativeMemoryManager<T> : MemoryManager<T>
    where T : unmanaged
{
    private readonly T* _pointer;
    private readonly int _length;

    public NativeMemoryManager(T* address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _pointer = address;
        _length = length;
    }

    public override Span<T> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        return new MemoryHandle(_pointer + elementIndex);
    }

    public override void Unpin()
    {
        // Native memory does not move.
    }

    protected override void Dispose(bool disposing)
    {
        // The mapping, not this view, owns the memory.
    }
}
