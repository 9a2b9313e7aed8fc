namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>A daemon's memory and activity, as <c>stats</c> shows it.</summary>
public sealed record StoreStats
{
    public int Instance { get; init; }

    public string Node { get; init; } = "";

    /// <summary>"memfd" or "shm": what backs the arenas.</summary>
    public string Backend { get; init; } = "";

    public int Arenas { get; init; }

    public long Capacity { get; init; }

    public long Used { get; init; }

    public long Free { get; init; }

    public long LargestFreeBlock { get; init; }

    /// <summary>1 - largest free block / free bytes: 0 when the free space is one block.</summary>
    public double Fragmentation { get; init; }

    public int Objects { get; init; }

    public int Blobs { get; init; }

    public int UnsealedBlobs { get; init; }

    public int Connections { get; init; }

    public long SpilledBytes { get; init; }

    public int SpilledBlobs { get; init; }

    public long Puts { get; init; }

    public long Gets { get; init; }

    public long FetchedBytes { get; init; }

    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.StatsReply);
        writer.WriteUInt16((ushort)Instance);
        writer.WriteString(Node);
        writer.WriteString(Backend);
        writer.WriteCount(Arenas);
        writer.WriteInt64(Capacity);
        writer.WriteInt64(Used);
        writer.WriteInt64(Free);
        writer.WriteInt64(LargestFreeBlock);
        writer.WriteUInt64(BitConverter.DoubleToUInt64Bits(Fragmentation));
        writer.WriteUInt32((uint)Objects);
        writer.WriteUInt32((uint)Blobs);
        writer.WriteUInt32((uint)UnsealedBlobs);
        writer.WriteUInt32((uint)Connections);
        writer.WriteInt64(SpilledBytes);
        writer.WriteUInt32((uint)SpilledBlobs);
        writer.WriteInt64(Puts);
        writer.WriteInt64(Gets);
        writer.WriteInt64(FetchedBytes);
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
