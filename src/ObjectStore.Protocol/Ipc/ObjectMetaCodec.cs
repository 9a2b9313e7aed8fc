using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>The binary form of a metadata tree in a frame; nesting is bounded by <see cref="ObjectMeta.MaxDepth"/>.</summary>
public static class ObjectMetaCodec
{
    /// <summary>The fewest bytes of one node: id, an empty type name, size, instance, flag, and three empty counts.</summary>
    private const int MinNodeLength = 8 + 1 + 8 + 2 + 1 + 1 + 1 + 1;

    /// <summary>
    /// Dictionaries start at most this large, and grow with what is read rather than with what a count claims:
    /// down a chain of nested members, every level's count may claim the rest of the frame.
    /// </summary>
    private const int MaxPresizedCount = 64;

    public static void Write(FrameWriter writer, ObjectMeta meta) => Write(writer, meta, 0);

    public static ObjectMeta Read(ref WireReader reader) => Read(ref reader, 0);

    private static void Write(FrameWriter writer, ObjectMeta meta, int depth)
    {
        if (depth > ObjectMeta.MaxDepth)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument,
                $"Object metadata nests deeper than {ObjectMeta.MaxDepth} levels.");
        }

        writer.WriteUInt64(meta.Id.Value);
        writer.WriteString(meta.TypeName);
        writer.WriteInt64(meta.NBytes);
        writer.WriteUInt16((ushort)meta.Instance);
        writer.WriteBool(meta.IsPersisted);
        WritePairs(writer, meta.Labels);
        WritePairs(writer, meta.Fields);
        writer.WriteCount(meta.Members.Count);
        foreach (var (name, member) in meta.Members)
        {
            writer.WriteString(name);
            Write(writer, member, depth + 1);
        }
    }

    private static ObjectMeta Read(ref WireReader reader, int depth)
    {
        if (depth > ObjectMeta.MaxDepth)
        {
            throw new WireFormatException($"Object metadata nests deeper than {ObjectMeta.MaxDepth} levels.");
        }

        var id = new ObjectId(reader.ReadUInt64());
        var typeName = reader.ReadSymbol();
        var nbytes = reader.ReadInt64();
        var instance = reader.ReadUInt16();
        var persisted = reader.ReadBool();
        var labels = ReadPairs(ref reader);
        var fields = ReadPairs(ref reader);
        var members = ReadMembers(ref reader, typeName, depth);

        return new ObjectMeta
        {
            Id = id,
            TypeName = typeName,
            NBytes = nbytes,
            Instance = instance,
            IsPersisted = persisted,
            Labels = labels,
            Fields = fields,
            Members = members,
        };
    }

    private static void WritePairs(FrameWriter writer, IReadOnlyDictionary<string, string> pairs)
    {
        writer.WriteCount(pairs.Count);
        foreach (var (key, value) in pairs)
        {
            writer.WriteString(key);
            writer.WriteString(value);
        }
    }

    /// <summary>Empty collections are the shared empty instances: most nodes have no labels, and blobs have no members.</summary>
    private static IReadOnlyDictionary<string, ObjectMeta> ReadMembers(ref WireReader reader, string typeName, int depth)
    {
        var count = reader.ReadCount(1 + MinNodeLength);
        if (count == 0)
        {
            return ObjectMeta.NoMembers;
        }

        var members = new OrderedDictionary<string, ObjectMeta>(Math.Min(count, MaxPresizedCount), StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadSymbol();
            if (!members.TryAdd(name, Read(ref reader, depth + 1)))
            {
                throw new WireFormatException($"The member '{name}' appears twice in the metadata of {typeName}.");
            }
        }

        return members;
    }

    private static IReadOnlyDictionary<string, string> ReadPairs(ref WireReader reader)
    {
        var count = reader.ReadCount(2);
        if (count == 0)
        {
            return ObjectMeta.NoStrings;
        }

        var pairs = new OrderedDictionary<string, string>(Math.Min(count, MaxPresizedCount), StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadSymbol();
            pairs[key] = reader.ReadString();
        }

        return pairs;
    }
}
