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
    public Span<T> Span => _blob.AsSpan<T>()[..checked((int)Layout.Length)];

    /// <summary>Seals the tensor's bytes (a reused spare blob may be larger; its tail is given back).</summary>
    public unsafe Task<ObjectId> SealAsync(PutOptions? options = null, CancellationToken cancellationToken = default) =>
        _client.CreateObjectAsync(Layout.ToMeta(_blob.Leaf(Math.Max(1, Layout.Length * sizeof(T)))), options, cancellationToken);

    public void Dispose() => _blob.Dispose();
}
