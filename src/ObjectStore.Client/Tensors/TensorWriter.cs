using System.Runtime.InteropServices;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client.Tensors;

/// <summary>A tensor being written in place, in shared memory; seal it to publish it.</summary>
public sealed class TensorWriter<T> : IDisposable
    where T : unmanaged
{
    private readonly ObjectStoreClient _client;
    private readonly BlobWriter _blob;

    internal TensorWriter(ObjectStoreClient client, BlobWriter blob, TensorLayout layout)
    {
        _client = client;
        _blob = blob;
        Layout = layout;
    }

    public TensorLayout Layout { get; }

    public IReadOnlyList<long> Shape => Layout.Shape;

    /// <summary>The elements, in row-major order, to fill.</summary>
    /// <exception cref="InvalidOperationException">The layout is not row-major; fill it with the indexer or <see cref="Storage"/>.</exception>
    public Span<T> Span => Layout.IsRowMajor(ElementSize)
        ? _blob.AsSpan<T>()[..checked((int)Layout.Length)]
        : throw new InvalidOperationException(
            $"The tensor's strides [{string.Join(", ", Layout.Strides)}] are not row-major, so its elements are not one span; fill it with the indexer or Storage.");

    /// <summary>The memory the strides address, as elements, whatever the layout.</summary>
    public Span<T> Storage => _blob.AsSpan<T>()[..checked((int)(Layout.ByteExtent(ElementSize) / ElementSize))];

    /// <summary>One element, by its index in every dimension (strides applied).</summary>
    public ref T this[params long[] index] => ref MemoryMarshal.AsRef<T>(_blob.Slice(Layout.OffsetOf(index), ElementSize));

    /// <summary>Seals the tensor's bytes (a reused spare blob may be larger; its tail is given back).</summary>
    public Task<ObjectId> SealAsync(PutOptions? options = null, CancellationToken cancellationToken = default) =>
        _client.CreateObjectAsync(Layout.ToMeta(_blob.Leaf(Math.Max(1, Layout.ByteExtent(ElementSize)))), options, cancellationToken);

    private static unsafe int ElementSize => sizeof(T);

    public void Dispose() => _blob.Dispose();
}
