using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client.Tensors;

/// <summary>Tensors of any unmanaged element type: one blob of elements, with shape and strides in the metadata.</summary>
public static class TensorObjects
{
    /// <summary>Allocates a tensor to fill in place: no copy at all.</summary>
    public static async Task<TensorWriter<T>> CreateTensorAsync<T>(
        this ObjectStoreClient client, IReadOnlyList<long> shape, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        var layout = TensorLayout.Contiguous<T>(shape);
        long bytes;
        unsafe
        {
            bytes = Math.Max(1, layout.Length * sizeof(T));
        }

        return new TensorWriter<T>(client, await client.CreateBlobAsync(bytes, cancellationToken), layout);
    }

    /// <summary>Puts elements already in managed memory: one copy into shared memory.</summary>
    public static async Task<ObjectId> PutTensorAsync<T>(
        this ObjectStoreClient client, ReadOnlyMemory<T> elements, IReadOnlyList<long>? shape = null, PutOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        // Checked before allocating, so that a wrong shape costs no shared memory and no round trip.
        var layout = TensorLayout.Contiguous<T>(shape ?? [elements.Length]);
        if (layout.Length != elements.Length)
        {
            throw new ArgumentException($"The shape [{string.Join(", ", layout.Shape)}] holds {layout.Length} elements; {elements.Length} were given.", nameof(shape));
        }

        using var writer = await client.CreateTensorAsync<T>(layout.Shape, cancellationToken);

        elements.Span.CopyTo(writer.Span);
        return await writer.SealAsync(options, cancellationToken);
    }

    public static async Task<TensorHandle<T>> GetTensorAsync<T>(
        this ObjectStoreClient client, string name, GetOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged => Open<T>(await client.GetAsync(name, options, cancellationToken));

    public static async Task<TensorHandle<T>> GetTensorAsync<T>(
        this ObjectStoreClient client, ObjectId id, GetOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged => Open<T>(await client.GetAsync(id, options, cancellationToken));

    internal static void RegisterAll()
    {
        Register<float>();
        Register<double>();
        Register<Half>();
        Register<sbyte>();
        Register<short>();
        Register<int>();
        Register<long>();
        Register<byte>();
        Register<ushort>();
        Register<uint>();
        Register<ulong>();
        Register<bool>();
    }

    private static void Register<T>()
        where T : unmanaged
    {
        ObjectTypes.Register(TensorLayout.TypeName, handle => new TensorHandle<T>(handle));
        ObjectTypes.RegisterBuilder<T[]>((client, array, options, cancellationToken) =>
            client.PutTensorAsync<T>(array, null, options, cancellationToken));
    }

    private static TensorHandle<T> Open<T>(ObjectHandle handle)
        where T : unmanaged
    {
        try
        {
            return new TensorHandle<T>(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }
}
