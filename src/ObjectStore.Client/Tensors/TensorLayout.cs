using System.Globalization;
using System.Text.Json;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client.Tensors;

/// <summary>A tensor's shape and strides (in bytes, as NumPy counts them), as its metadata records them.</summary>
public sealed record TensorLayout(IReadOnlyList<long> Shape, IReadOnlyList<long> Strides, string ElementType)
{
    public const string TypeName = "fluid::Tensor";

    /// <summary>The number of elements.</summary>
    public long Length => Shape.Aggregate(1L, (product, dimension) => product * dimension);

    /// <summary>Row-major (C order) strides for a shape.</summary>
    public static TensorLayout Contiguous<T>(IReadOnlyList<long> shape)
        where T : unmanaged
    {
        if (shape.Count == 0 || shape.Any(d => d < 0))
        {
            throw new ArgumentException($"A tensor shape needs at least one dimension, none negative; got [{string.Join(", ", shape)}].", nameof(shape));
        }

        var strides = new long[shape.Count];
        long stride;
        unsafe
        {
            stride = sizeof(T);
        }

        for (var i = shape.Count - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(1, shape[i]);
        }

        return new TensorLayout(shape.ToArray(), strides, TensorElement.NameOf<T>());
    }

    public ObjectMeta ToMeta(ObjectMeta buffer) => new()
    {
        TypeName = TypeName,
        Fields = new Dictionary<string, string>
        {
            ["dtype"] = ElementType,
            ["shape"] = JsonSerializer.Serialize(Shape),
            ["strides"] = JsonSerializer.Serialize(Strides),
        },
        Members = new Dictionary<string, ObjectMeta> { ["buffer"] = buffer },
    };

    public static TensorLayout FromMeta(ObjectMeta meta)
    {
        if (meta.TypeName != TypeName)
        {
            throw new InvalidOperationException($"{meta} is not a tensor ({TypeName}).");
        }

        return new TensorLayout(
            JsonSerializer.Deserialize<long[]>(meta.Field("shape")) ?? [],
            JsonSerializer.Deserialize<long[]>(meta.Field("strides")) ?? [],
            meta.Field("dtype"));
    }

    /// <summary>The byte offset of an element, from its index in every dimension.</summary>
    public long OffsetOf(ReadOnlySpan<long> index)
    {
        if (index.Length != Shape.Count)
        {
            throw new ArgumentException($"The tensor has {Shape.Count} dimensions; the index has {index.Length}.", nameof(index));
        }

        long offset = 0;
        for (var i = 0; i < index.Length; i++)
        {
            if (index[i] < 0 || index[i] >= Shape[i])
            {
                throw new ArgumentOutOfRangeException(nameof(index), string.Create(CultureInfo.InvariantCulture,
                    $"Index {index[i]} is outside dimension {i} of length {Shape[i]}."));
            }

            offset += index[i] * Strides[i];
        }

        return offset;
    }
}
