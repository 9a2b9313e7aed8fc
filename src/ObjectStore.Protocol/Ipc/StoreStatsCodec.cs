namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>A <see cref="StoreStats"/> on the IPC wire: the <c>StatsReply</c> frame.</summary>
public static class StoreStatsCodec
{
    public static void Write(this StoreStats stats, FrameWriter writer)
    {
        writer.Begin(MessageType.StatsReply);
        writer.WriteUInt16((ushort)stats.Instance);
        writer.WriteString(stats.Node);
        writer.WriteString(stats.Backend);
        writer.WriteCount(stats.Arenas);
        writer.WriteInt64(stats.Capacity);
        writer.WriteInt64(stats.Used);
        writer.WriteInt64(stats.Free);
        writer.WriteInt64(stats.LargestFreeBlock);
        writer.WriteUInt64(BitConverter.DoubleToUInt64Bits(stats.Fragmentation));
        writer.WriteUInt32((uint)stats.Objects);
        writer.WriteUInt32((uint)stats.Blobs);
        writer.WriteUInt32((uint)stats.UnsealedBlobs);
        writer.WriteUInt32((uint)stats.Connections);
        writer.WriteInt64(stats.SpilledBytes);
        writer.WriteUInt32((uint)stats.SpilledBlobs);
        writer.WriteInt64(stats.Puts);
        writer.WriteInt64(stats.Gets);
        writer.WriteInt64(stats.FetchedBytes);
    }

    public static StoreStats Read(ref WireReader reader) => new()
    {
        Instance = reader.ReadUInt16(),
        Node = reader.ReadString(),
        Backend = reader.ReadString(),
        Arenas = reader.ReadCount(),
        Capacity = reader.ReadInt64(),
        Used = reader.ReadInt64(),
        Free = reader.ReadInt64(),
        LargestFreeBlock = reader.ReadInt64(),
        Fragmentation = BitConverter.UInt64BitsToDouble(reader.ReadUInt64()),
        Objects = (int)reader.ReadUInt32(),
        Blobs = (int)reader.ReadUInt32(),
        UnsealedBlobs = (int)reader.ReadUInt32(),
        Connections = (int)reader.ReadUInt32(),
        SpilledBytes = reader.ReadInt64(),
        SpilledBlobs = (int)reader.ReadUInt32(),
        Puts = reader.ReadInt64(),
        Gets = reader.ReadInt64(),
        FetchedBytes = reader.ReadInt64(),
    };
}
