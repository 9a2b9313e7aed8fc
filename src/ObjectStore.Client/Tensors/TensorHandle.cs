using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client.Tensors;

/// <summary>A stored tensor, read in place from shared memory: its elements are never copied.</summary>
public sealed class TensorHandle<T> : IDisposable
    where T : unmanaged
{
    private readonly BlobView _buffer;

    internal TensorHandle(ObjectHandle handle)
    {
        Handle = handle;
        Layout = TensorLayout.FromMeta(handle.Meta);
        if (Layout.ElementType != TensorElement.NameOf<T>())
        {
            throw new InvalidOperationException(
                $"{handle.Meta} holds {Layout.ElementType} elements, not {TensorElement.NameOf<T>()}; get it as TensorHandle of the matching type.");
        }

        _buffer = handle.Member("buffer");
    }

    public ObjectId Id => Handle.Id;

    public ObjectHandle Handle { get; }

    public TensorLayout Layout { get; }

    public IReadOnlyList<long> Shape => Layout.Shape;

    /// <summary>All elements in storage order.</summary>
    public ReadOnlySpan<T> Span => _buffer.AsSpan<T>()[..checked((int)Layout.Length)];

    public ReadOnlyMemory<T> Memory => _buffer.AsMemory<T>()[..checked((int)Layout.Length)];

    /// <summary>One element, by its index in every dimension (strides applied).</summary>
    public unsafe T this[params long[] index] => *(T*)_buffer.Pointer(Layout.OffsetOf(index), sizeof(T));

    public void Dispose() => Handle.Dispose();
}
