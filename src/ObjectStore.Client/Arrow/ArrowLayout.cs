using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client.Arrow;

/// <summary>
/// How Arrow data maps onto objects. A record batch records its schema (the Arrow IPC schema message, base64) and
/// row count; each column is an array node with length, null count and offset, one blob per non-empty buffer,
/// and its children and dictionary as member nodes. Every Arrow type the C# library builds round-trips.
/// </summary>
internal static class ArrowLayout
{
    public const string RecordBatchTypeName = "fluid::arrow::RecordBatch";
    public const string TableTypeName = "fluid::arrow::Table";
    public const string ArrayTypeName = "fluid::arrow::Array";

    public static string EncodeSchema(Schema schema) => Convert.ToBase64String(ArrowSerializationHelpers.SerializeSchema(schema));

    public static Schema DecodeSchema(ObjectMeta meta) => ArrowSerializationHelpers.DeserializeSchema(Convert.FromBase64String(meta.Field("schema")));

    /// <summary>Every buffer of a batch, in the order the metadata will refer to them.</summary>
    public static List<ArrowBuffer> Buffers(RecordBatch batch)
    {
        var buffers = new List<ArrowBuffer>();
        foreach (var column in batch.Arrays)
        {
            Collect(column.Data, buffers);
        }

        return buffers;
    }

    /// <summary>The batch's metadata, with each non-empty buffer replaced by the next of <paramref name="blobs"/>.</summary>
    public static ObjectMeta Describe(RecordBatch batch, IEnumerator<ObjectMeta> blobs)
    {
        var members = new Dictionary<string, ObjectMeta>(StringComparer.Ordinal);
        for (var i = 0; i < batch.ColumnCount; i++)
        {
            members[Column(i)] = Describe(batch.Column(i).Data, blobs);
        }

        return new ObjectMeta
        {
            TypeName = RecordBatchTypeName,
            Fields = new Dictionary<string, string>
            {
                ["schema"] = EncodeSchema(batch.Schema),
                ["rows"] = batch.Length.ToString(CultureInfo.InvariantCulture),
                ["columns"] = batch.ColumnCount.ToString(CultureInfo.InvariantCulture),
            },
            Members = members,
        };
    }

    /// <summary>Rebuilds a batch over the blobs of <paramref name="handle"/>: the arrays read shared memory directly.</summary>
    public static RecordBatch Rebuild(ObjectHandle handle, ObjectMeta batch, Schema schema)
    {
        var rows = Int(batch, "rows");
        var arrays = new IArrowArray[schema.FieldsList.Count];
        for (var i = 0; i < arrays.Length; i++)
        {
            arrays[i] = ArrowArrayFactory.BuildArray(Rebuild(handle, batch.Member(Column(i)), schema.FieldsList[i].DataType));
        }

        return new RecordBatch(schema, arrays, rows);
    }

    private static string Column(int index) => string.Create(CultureInfo.InvariantCulture, $"column_{index}");

    private static void Collect(ArrayData data, List<ArrowBuffer> buffers)
    {
        foreach (var buffer in data.Buffers)
        {
            if (!buffer.IsEmpty)
            {
                buffers.Add(buffer);
            }
        }

        foreach (var child in data.Children ?? [])
        {
            Collect(child, buffers);
        }

        if (data.Dictionary is { } dictionary)
        {
            Collect(dictionary, buffers);
        }
    }

    private static ObjectMeta Describe(ArrayData data, IEnumerator<ObjectMeta> blobs)
    {
        var members = new Dictionary<string, ObjectMeta>(StringComparer.Ordinal);
        for (var j = 0; j < data.Buffers.Length; j++)
        {
            if (!data.Buffers[j].IsEmpty)
            {
                blobs.MoveNext();
                members[Invariant($"buffer_{j}")] = blobs.Current;
            }
        }

        var children = data.Children ?? [];
        for (var k = 0; k < children.Length; k++)
        {
            members[Invariant($"child_{k}")] = Describe(children[k], blobs);
        }

        if (data.Dictionary is { } dictionary)
        {
            members["dictionary"] = Describe(dictionary, blobs);
        }

        return new ObjectMeta
        {
            TypeName = ArrayTypeName,
            Fields = new Dictionary<string, string>
            {
                ["length"] = Invariant($"{data.Length}"),
                ["null_count"] = Invariant($"{data.GetNullCount()}"),
                ["offset"] = Invariant($"{data.Offset}"),
                ["buffers"] = Invariant($"{data.Buffers.Length}"),
                ["children"] = Invariant($"{children.Length}"),
            },
            Members = members,
        };
    }

    private static ArrayData Rebuild(ObjectHandle handle, ObjectMeta node, IArrowType type)
    {
        var buffers = new ArrowBuffer[Int(node, "buffers")];
        for (var j = 0; j < buffers.Length; j++)
        {
            buffers[j] = node.Members.TryGetValue(Invariant($"buffer_{j}"), out var blob)
                ? new ArrowBuffer(handle.Blob(blob).Memory)
                : ArrowBuffer.Empty;
        }

        var children = new ArrayData[Int(node, "children")];
        for (var k = 0; k < children.Length; k++)
        {
            var childType = type is NestedType nested ? nested.Fields[k].DataType
                : throw new FormatException($"{node} has children but its Arrow type {type.Name} is not nested.");
            children[k] = Rebuild(handle, node.Member(Invariant($"child_{k}")), childType);
        }

        var dictionary = node.Members.TryGetValue("dictionary", out var values) && type is DictionaryType dictionaryType
            ? Rebuild(handle, values, dictionaryType.ValueType)
            : null;
        return new ArrayData(type, Int(node, "length"), Int(node, "null_count"), Int(node, "offset"), buffers, children, dictionary);
    }

    private static int Int(ObjectMeta meta, string field) =>
        int.TryParse(meta.Field(field), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{meta} has a non-numeric '{field}': {meta.Field(field)}.");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
