using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>An <see cref="ObjectSummary"/> on the IPC wire: one line of a listing.</summary>
public static class ObjectSummaryCodec
{
    /// <summary>The fewest bytes of one summary: id, an empty type name, size, instance, three flags, no names.</summary>
    public const int MinWireLength = 8 + 1 + 8 + 2 + 3 + 1;

    public static void Write(this ObjectSummary summary, FrameWriter writer)
    {
        writer.WriteUInt64(summary.Id.Value);
        writer.WriteString(summary.TypeName);
        writer.WriteInt64(summary.NBytes);
        writer.WriteUInt16((ushort)summary.Instance);
        writer.WriteBool(summary.IsPersisted);
        writer.WriteBool(summary.IsLocal);
        writer.WriteBool(summary.IsSpilled);
        writer.WriteCount(summary.Names.Count);
        foreach (var name in summary.Names)
        {
            writer.WriteString(name);
        }
    }

    public static ObjectSummary Read(ref WireReader reader)
    {
        var id = new ObjectId(reader.ReadUInt64());
        var type = reader.ReadString();
        var bytes = reader.ReadInt64();
        var instance = reader.ReadUInt16();
        var persisted = reader.ReadBool();
        var local = reader.ReadBool();
        var spilled = reader.ReadBool();
        var names = new string[reader.ReadCount()];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = reader.ReadString();
        }

        return new ObjectSummary(id, type, bytes, instance, persisted, local, spilled, names);
    }
}
