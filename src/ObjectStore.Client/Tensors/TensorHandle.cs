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
        var extent = Layout.ByteExtent(ElementSize);
        if (Layout.Strides.Count != Layout.Shape.Count || Layout.Strides.Any(stride => stride < 0) || extent > _buffer.Length)
        {
            throw new InvalidOperationException(
                $"{handle.Meta} has shape [{string.Join(", ", Layout.Shape)}] and strides [{string.Join(", ", Layout.Strides)}], which reach " +
                $"{extent} bytes into a buffer of {_buffer.Length}; its writer recorded a layout that does not fit its elements.");
        }
    }

    public ObjectId Id => Handle.Id;

    public ObjectHandle Handle { get; }

    public TensorLayout Layout { get; }

    public IReadOnlyList<long> Shape => Layout.Shape;

    /// <summary>True when the elements are one row-major run, exposed by <see cref="Span"/> and <see cref="Memory"/>.</summary>
    public bool IsContiguous => Layout.IsRowMajor(ElementSize);

    /// <summary>All elements in row-major order, in place.</summary>
    /// <exception cref="InvalidOperationException">The strides are not row-major; use the indexer.</exception>
    public ReadOnlySpan<T> Span => _buffer.AsSpan<T>()[..ContiguousLength()];

    /// <inheritdoc cref="Span"/>
    public ReadOnlyMemory<T> Memory => _buffer.AsMemory<T>()[..ContiguousLength()];

    /// <summary>One element, by its index in every dimension (strides applied).</summary>
    public unsafe T this[params long[] index] => *(T*)_buffer.Pointer(Layout.OffsetOf(index), sizeof(T));

    private static unsafe int ElementSize => sizeof(T);

    public void Dispose() => Handle.Dispose();

    private int ContiguousLength() => IsContiguous
        ? checked((int)Layout.Length)
        : throw new InvalidOperationException(
            $"Tensor {Id} has strides [{string.Join(", ", Layout.Strides)}] for shape [{string.Join(", ", Layout.Shape)}], not row-major " +
            $"with {ElementSize}-byte elements, so its elements are not one span; read them with the indexer.");
}
