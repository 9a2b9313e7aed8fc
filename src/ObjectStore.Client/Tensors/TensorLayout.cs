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

    /// <summary>
    /// True when elements of <paramref name="elementSize"/> bytes lie one after another in row-major (C) order from
    /// the first byte, so that they can be exposed as one span; other strides are read through the indexer.
    /// </summary>
    public bool IsRowMajor(int elementSize) => Strides.SequenceEqual(RowMajorStrides(Shape, elementSize));

    /// <summary>Row-major (C order) strides for a shape.</summary>
    public static TensorLayout Contiguous<T>(IReadOnlyList<long> shape)
        where T : unmanaged => new(CheckedShape(shape), RowMajorStrides(shape, SizeOf<T>()), TensorElement.NameOf<T>());

    /// <summary>Column-major (Fortran order) strides for a shape: the first index varies fastest.</summary>
    public static TensorLayout ColumnMajor<T>(IReadOnlyList<long> shape)
        where T : unmanaged
    {
        var strides = new long[CheckedShape(shape).Length];
        long stride = SizeOf<T>();
        for (var i = 0; i < shape.Count; i++)
        {
            strides[i] = stride;
            stride *= Math.Max(1, shape[i]);
        }

        return new TensorLayout(shape.ToArray(), strides, TensorElement.NameOf<T>());
    }

    /// <summary>
    /// Any strides, in bytes as NumPy counts them: non-negative multiples of the element size, one per dimension
    /// (a view of every other column, a transposed matrix, a broadcast dimension of stride 0).
    /// </summary>
    public static TensorLayout Strided<T>(IReadOnlyList<long> shape, IReadOnlyList<long> strides)
        where T : unmanaged
    {
        var size = SizeOf<T>();
        if (strides.Count != CheckedShape(shape).Length || strides.Any(s => s < 0 || s % size != 0))
        {
            throw new ArgumentException(
                $"Strides [{string.Join(", ", strides)}] do not fit shape [{string.Join(", ", shape)}]: give one stride per dimension, " +
                $"in bytes, each a non-negative multiple of the element size ({size}).", nameof(strides));
        }

        return new TensorLayout(shape.ToArray(), strides.ToArray(), TensorElement.NameOf<T>());
    }

    /// <summary>The bytes the elements span from the first: one past the last element's last byte.</summary>
    public long ByteExtent(int elementSize)
    {
        if (Length == 0)
        {
            return 0;
        }

        long last = 0;
        for (var i = 0; i < Shape.Count; i++)
        {
            last += (Shape[i] - 1) * Strides[i];
        }

        return last + elementSize;
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

    private static long[] CheckedShape(IReadOnlyList<long> shape) =>
        shape.Count == 0 || shape.Any(d => d < 0)
            ? throw new ArgumentException($"A tensor shape needs at least one dimension, none negative; got [{string.Join(", ", shape)}].", nameof(shape))
            : shape.ToArray();

    private static long[] RowMajorStrides(IReadOnlyList<long> shape, long elementSize)
    {
        var strides = new long[shape.Count];
        var stride = elementSize;
        for (var i = shape.Count - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(1, shape[i]);
        }

        return strides;
    }

    private static unsafe int SizeOf<T>()
        where T : unmanaged => sizeof(T);

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
