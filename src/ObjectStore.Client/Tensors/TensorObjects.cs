using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client.Tensors;

/// <summary>Tensors of any unmanaged element type: one blob of elements, with shape and strides in the metadata.</summary>
public static class TensorObjects
{
    /// <summary>Allocates a row-major tensor to fill in place: no copy at all.</summary>
    public static Task<TensorWriter<T>> CreateTensorAsync<T>(
        this ObjectStoreClient client, IReadOnlyList<long> shape, CancellationToken cancellationToken = default)
        where T : unmanaged => client.CreateTensorAsync<T>(TensorLayout.Contiguous<T>(shape), cancellationToken);

    /// <summary>
    /// Allocates a tensor of any layout (<see cref="TensorLayout.ColumnMajor{T}"/>, <see cref="TensorLayout.Strided{T}"/>)
    /// to fill in place: as many bytes as its strides reach.
    /// </summary>
    public static async Task<TensorWriter<T>> CreateTensorAsync<T>(
        this ObjectStoreClient client, TensorLayout layout, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        CheckElementType<T>(layout);
        long bytes;
        unsafe
        {
            bytes = Math.Max(1, layout.ByteExtent(sizeof(T)));
        }

        return new TensorWriter<T>(client, await client.CreateBlobAsync(bytes, cancellationToken), layout);
    }

    /// <summary>
    /// Puts a tensor of any layout from its storage: the elements its strides address, as they lie in memory
    /// (for example a column-major matrix, or a buffer viewed with strides). One copy into shared memory.
    /// </summary>
    public static async Task<ObjectId> PutStridedTensorAsync<T>(
        this ObjectStoreClient client, ReadOnlyMemory<T> storage, TensorLayout layout, PutOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        CheckElementType<T>(layout);
        long needed;
        unsafe
        {
            needed = layout.ByteExtent(sizeof(T)) / sizeof(T);
        }

        if (storage.Length < needed)
        {
            throw new ArgumentException(
                $"Shape [{string.Join(", ", layout.Shape)}] with strides [{string.Join(", ", layout.Strides)}] reaches {needed} elements of storage; {storage.Length} were given.",
                nameof(storage));
        }

        using var writer = await client.CreateTensorAsync<T>(layout, cancellationToken);
        storage.Span[..(int)needed].CopyTo(writer.Storage);
        return await writer.SealAsync(options, cancellationToken);
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

    private static void CheckElementType<T>(TensorLayout layout)
        where T : unmanaged
    {
        if (layout.ElementType != TensorElement.NameOf<T>())
        {
            throw new ArgumentException(
                $"The layout is for {layout.ElementType} elements, not {TensorElement.NameOf<T>()}; make it with TensorLayout.Strided<{typeof(T).Name}>.",
                nameof(layout));
        }
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
