using System.Globalization;
using System.Runtime.CompilerServices;
using Apache.Arrow;
using Apache.Arrow.Types;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client.Arrow;

/// <summary>
/// A record batch of fixed-width columns without nulls, written in place: each column is a blob that the producer
/// fills through a span, so that creating the batch copies nothing.
/// </summary>
public sealed class RecordBatchWriter : IDisposable
{
    private readonly ObjectStoreClient _client;
    private readonly IReadOnlyList<BlobWriter> _columns;

    internal RecordBatchWriter(ObjectStoreClient client, Schema schema, int rows, IReadOnlyList<BlobWriter> columns)
    {
        _client = client;
        Schema = schema;
        Rows = rows;
        _columns = columns;
    }

    public Schema Schema { get; }

    public int Rows { get; }

    /// <summary>
    /// The values of column <paramref name="index"/>, to fill. <typeparamref name="T"/> must be the column's own
    /// element type (<c>int</c> for int32, date32 and time32; <c>long</c> for int64, date64, time64, timestamp and
    /// duration; <c>Half</c> for float16, and so on); decimal, fixed-size binary and interval columns take any
    /// unmanaged type of their width.
    /// </summary>
    public Span<T> Column<T>(int index)
        where T : unmanaged
    {
        if (index < 0 || index >= _columns.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The batch has {_columns.Count} columns.");
        }

        var field = Schema.FieldsList[index];
        var fixedWidth = (FixedWidthType)field.DataType;
        var expected = ElementType(field.DataType);
        if (expected is not null ? expected != typeof(T) : fixedWidth.BitWidth != Unsafe.SizeOf<T>() * 8)
        {
            throw new ArgumentException(
                $"Column {index} ({field.Name}) is Arrow {field.DataType.Name}, of {expected?.Name ?? $"{fixedWidth.BitWidth / 8}-byte"} values; " +
                $"it cannot be written as {typeof(T).Name}.",
                nameof(index));
        }

        return _columns[index].AsSpan<T>()[..Rows];
    }

    public Span<T> Column<T>(string name)
        where T : unmanaged
    {
        var index = Schema.GetFieldIndex(name);
        return index >= 0
            ? Column<T>(index)
            : throw new ArgumentException(
                $"The batch has no column '{name}'; its columns are {string.Join(", ", Schema.FieldsList.Select(f => f.Name))}.", nameof(name));
    }

    /// <summary>Seals the columns into a <c>fluid::arrow::RecordBatch</c>.</summary>
    public Task<ObjectId> SealAsync(PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        var members = new Dictionary<string, ObjectMeta>(StringComparer.Ordinal);
        for (var i = 0; i < _columns.Count; i++)
        {
            var width = ((FixedWidthType)Schema.FieldsList[i].DataType).BitWidth / 8;
            members[string.Create(CultureInfo.InvariantCulture, $"column_{i}")] = new ObjectMeta
            {
                TypeName = ArrowLayout.ArrayTypeName,
                Fields = new Dictionary<string, string>
                {
                    ["length"] = Rows.ToString(CultureInfo.InvariantCulture),
                    ["null_count"] = "0",
                    ["offset"] = "0",
                    ["buffers"] = "2",
                    ["children"] = "0",
                },
                Members = new Dictionary<string, ObjectMeta> { ["buffer_1"] = _columns[i].Leaf(Math.Max(1, (long)Rows * width)) },
            };
        }

        var meta = new ObjectMeta
        {
            TypeName = ArrowLayout.RecordBatchTypeName,
            Fields = new Dictionary<string, string>
            {
                ["schema"] = ArrowLayout.EncodeSchema(Schema),
                ["rows"] = Rows.ToString(CultureInfo.InvariantCulture),
                ["columns"] = _columns.Count.ToString(CultureInfo.InvariantCulture),
            },
            Members = members,
        };
        return _client.CreateObjectAsync(meta, options, cancellationToken);
    }

    public void Dispose()
    {
        foreach (var column in _columns)
        {
            column.Dispose();
        }
    }

    /// <summary>The CLR type whose values an Arrow fixed-width type stores, when it has one.</summary>
    private static Type? ElementType(IArrowType type) => type switch
    {
        Int8Type => typeof(sbyte),
        UInt8Type => typeof(byte),
        Int16Type => typeof(short),
        UInt16Type => typeof(ushort),
        Int32Type or Date32Type or Time32Type => typeof(int),
        UInt32Type => typeof(uint),
        Int64Type or Date64Type or Time64Type or TimestampType or DurationType => typeof(long),
        UInt64Type => typeof(ulong),
        HalfFloatType => typeof(Half),
        FloatType => typeof(float),
        DoubleType => typeof(double),
        _ => null,
    };
}
