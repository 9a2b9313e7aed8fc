using System.Globalization;
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

    /// <summary>The values of column <paramref name="index"/>, to fill.</summary>
    public Span<T> Column<T>(int index)
        where T : unmanaged
    {
        var field = Schema.FieldsList[index];
        if (field.DataType is not FixedWidthType fixedWidth || fixedWidth.BitWidth != System.Runtime.CompilerServices.Unsafe.SizeOf<T>() * 8)
        {
            throw new ArgumentException($"Column {index} ({field.Name}) is {field.DataType.Name}, not of {typeof(T).Name} values.", nameof(index));
        }

        return _columns[index].AsSpan<T>()[..Rows];
    }

    public Span<T> Column<T>(string name)
        where T : unmanaged => Column<T>(Schema.GetFieldIndex(name));

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
}
