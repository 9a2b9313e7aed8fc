using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>The first request on a connection: who is asking, and in which protocol version.</summary>
public sealed record HelloRequest(uint Magic, ushort Version, string ClientName, int ProcessId)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.Hello);
        writer.WriteUInt32(Magic);
        writer.WriteUInt16(Version);
        writer.WriteString(ClientName);
        writer.WriteUInt32((uint)ProcessId);
    }

    public static HelloRequest Read(ref WireReader reader)
    {
        // Magic and version come first and alone, so that a mismatch is reported whatever follows.
        var magic = reader.ReadUInt32();
        var version = reader.ReadUInt16();
        if (magic != Wire.Magic || version != Wire.ProtocolVersion)
        {
            return new HelloRequest(magic, version, "", 0);
        }

        return new HelloRequest(magic, version, reader.ReadString(), (int)reader.ReadUInt32());
    }
}

/// <summary>One shared-memory arena; its file descriptor travels with the Welcome, in the same order.</summary>
public sealed record ArenaInfo(int Id, long Size)
{
    /// <summary>The bytes of one arena in a Welcome: id and size.</summary>
    public const int WireLength = 2 + 8;
}

/// <summary>The answer to Hello: the daemon's identity and its arenas.</summary>
public sealed record WelcomeResponse(int Instance, string Node, int MaxFrameLength, IReadOnlyList<ArenaInfo> Arenas)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.Welcome);
        writer.WriteUInt16(Wire.ProtocolVersion);
        writer.WriteUInt16((ushort)Instance);
        writer.WriteString(Node);
        writer.WriteUInt32((uint)MaxFrameLength);
        writer.WriteCount(Arenas.Count);
        foreach (var arena in Arenas)
        {
            writer.WriteUInt16((ushort)arena.Id);
            writer.WriteInt64(arena.Size);
        }
    }

    public static WelcomeResponse Read(ref WireReader reader)
    {
        var version = reader.ReadUInt16();
        if (version != Wire.ProtocolVersion)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.VersionMismatch,
                $"The daemon speaks protocol version {version}, this client {Wire.ProtocolVersion}; use a client of the daemon's release.");
        }

        var instance = reader.ReadUInt16();
        var node = reader.ReadString();
        var maxFrame = (int)Math.Min(reader.ReadUInt32(), int.MaxValue);
        var arenas = new ArenaInfo[reader.ReadCount(ArenaInfo.WireLength)];
        for (var i = 0; i < arenas.Length; i++)
        {
            arenas[i] = new ArenaInfo(reader.ReadUInt16(), reader.ReadInt64());
        }

        return new WelcomeResponse(instance, node, maxFrame, arenas);
    }
}

/// <summary>Where a blob's bytes are: an arena, an offset in it, and a length.</summary>
public readonly record struct BlobLocation(ObjectId Id, int Arena, long Offset, long Length)
{
    /// <summary>The bytes of one location: id, arena, offset and length.</summary>
    public const int WireLength = 8 + 2 + 8 + 8;

    public void Write(FrameWriter writer)
    {
        writer.WriteUInt64(Id.Value);
        writer.WriteUInt16((ushort)Arena);
        writer.WriteInt64(Offset);
        writer.WriteInt64(Length);
    }

    public static BlobLocation Read(ref WireReader reader) =>
        new(new ObjectId(reader.ReadUInt64()), reader.ReadUInt16(), reader.ReadInt64(), reader.ReadInt64());

    internal static void WriteOptional(FrameWriter writer, BlobLocation? location)
    {
        writer.WriteBool(location.HasValue);
        location?.Write(writer);
    }

    internal static BlobLocation? ReadOptional(ref WireReader reader) => reader.ReadBool() ? Read(ref reader) : null;

    internal static void WriteList(FrameWriter writer, IReadOnlyList<BlobLocation> locations)
    {
        writer.WriteCount(locations.Count);
        foreach (var location in locations)
        {
            location.Write(writer);
        }
    }

    internal static BlobLocation[] ReadList(ref WireReader reader)
    {
        var locations = new BlobLocation[reader.ReadCount(WireLength)];
        for (var i = 0; i < locations.Length; i++)
        {
            locations[i] = Read(ref reader);
        }

        return locations;
    }
}

/// <summary>
/// Allocate writable blobs. <see cref="SpareSize"/> &gt; 0 asks for a spare blob of that size too, which the
/// client fills for its next small put without asking again: a put then costs one round trip.
/// </summary>
public sealed record CreateBlobsRequest(IReadOnlyList<long> Sizes, long SpareSize)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.CreateBlobs);
        writer.WriteCount(Sizes.Count);
        foreach (var size in Sizes)
        {
            writer.WriteInt64(size);
        }

        writer.WriteInt64(SpareSize);
    }

    public static CreateBlobsRequest Read(ref WireReader reader)
    {
        var sizes = new long[reader.ReadCount(sizeof(long))];
        for (var i = 0; i < sizes.Length; i++)
        {
            sizes[i] = reader.ReadInt64();
        }

        return new CreateBlobsRequest(sizes, reader.ReadInt64());
    }
}

public sealed record BlobsResponse(IReadOnlyList<BlobLocation> Blobs, BlobLocation? Spare)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.Blobs);
        BlobLocation.WriteList(writer, Blobs);
        BlobLocation.WriteOptional(writer, Spare);
    }

    public static BlobsResponse Read(ref WireReader reader) =>
        new(BlobLocation.ReadList(ref reader), BlobLocation.ReadOptional(ref reader));
}

/// <summary>
/// Seal the blobs the metadata names and create the object: from now on nobody can change its bytes. Blob leaves
/// whose NBytes is below the blob's size trim it.
/// </summary>
public sealed record CreateObjectRequest(ObjectMeta Meta, string? Name, bool Persist, long SpareSize)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.CreateObject);
        ObjectMetaCodec.Write(writer, Meta);
        writer.WriteNullableString(Name);
        writer.WriteBool(Persist);
        writer.WriteInt64(SpareSize);
    }

    public static CreateObjectRequest Read(ref WireReader reader) =>
        new(ObjectMetaCodec.Read(ref reader), reader.ReadNullableString(), reader.ReadBool(), reader.ReadInt64());
}

public sealed record CreatedResponse(ObjectId Id, BlobLocation? Spare)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.Created);
        writer.WriteUInt64(Id.Value);
        BlobLocation.WriteOptional(writer, Spare);
    }

    public static CreatedResponse Read(ref WireReader reader) =>
        new(new ObjectId(reader.ReadUInt64()), BlobLocation.ReadOptional(ref reader));
}

/// <summary>An object named by id or by name.</summary>
public readonly record struct ObjectRef(ObjectId Id, string? Name)
{
    public static ObjectRef ById(ObjectId id) => new(id, null);

    public static ObjectRef ByName(string name) => new(ObjectId.None, name);

    /// <summary>An id when the text looks like one (<c>o</c> and 16 hex digits), otherwise a name.</summary>
    public static ObjectRef Parse(string text) => ObjectId.TryParse(text, out var id) ? ById(id) : ByName(text);

    public void Write(FrameWriter writer)
    {
        writer.WriteUInt64(Id.Value);
        writer.WriteNullableString(Name);
    }

    public static ObjectRef Read(ref WireReader reader) => new(new ObjectId(reader.ReadUInt64()), reader.ReadNullableString());

    public override string ToString() => Name is null ? Id.ToString() : $"'{Name}'";
}

/// <summary>
/// Get an object's metadata and blob locations, and hold it until released. With <see cref="Fetch"/>, an object
/// held by another instance is first copied into this one.
/// </summary>
/// <param name="Target">The object, by id or by name.</param>
/// <param name="Fetch">Whether to copy it in from the node that holds it when this node does not.</param>
/// <param name="TraceParent">
/// The W3C <c>traceparent</c> of the client's span for this get, or empty: the daemon traces its side of the get
/// (and a fetch from another node) inside it.
/// </param>
public sealed record GetRequest(ObjectRef Target, bool Fetch, string TraceParent = "")
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.Get);
        Target.Write(writer);
        writer.WriteBool(Fetch);
        writer.WriteString(TraceParent);
    }

    public static GetRequest Read(ref WireReader reader) => new(ObjectRef.Read(ref reader), reader.ReadBool(), reader.ReadString());
}

/// <summary>An object: its metadata, and the location of each blob in the order of <see cref="ObjectMeta.Blobs"/>.</summary>
public sealed record ObjectResponse(ObjectMeta Meta, IReadOnlyList<BlobLocation> Blobs)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.ObjectData);
        ObjectMetaCodec.Write(writer, Meta);
        BlobLocation.WriteList(writer, Blobs);
    }

    public static ObjectResponse Read(ref WireReader reader) =>
        new(ObjectMetaCodec.Read(ref reader), BlobLocation.ReadList(ref reader));
}

/// <summary>Objects (from Get) or unsealed blobs (from CreateBlobs) this connection lets go of.</summary>
public sealed record IdListMessage(MessageType Type, IReadOnlyList<ObjectId> Ids)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(Type);
        writer.WriteCount(Ids.Count);
        foreach (var id in Ids)
        {
            writer.WriteUInt64(id.Value);
        }
    }

    public static IdListMessage Read(MessageType type, ref WireReader reader)
    {
        var ids = new ObjectId[reader.ReadCount(sizeof(ulong))];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = new ObjectId(reader.ReadUInt64());
        }

        return new IdListMessage(type, ids);
    }
}

/// <summary>
/// An object's metadata, answering Stat: found by id or name like a get, but neither held, mapped, reloaded from
/// spill nor fetched. <see cref="IsLocal"/> says whether this instance holds it (else only the catalog knows it).
/// </summary>
public sealed record ObjectInfo(ObjectMeta Meta, bool IsLocal)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.ObjectInfo);
        ObjectMetaCodec.Write(writer, Meta);
        writer.WriteBool(IsLocal);
    }

    public static ObjectInfo Read(ref WireReader reader) => new(ObjectMetaCodec.Read(ref reader), reader.ReadBool());
}

/// <summary>A request about one object: Delete, Persist, Stat.</summary>
public sealed record TargetRequest(MessageType Type, ObjectRef Target)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(Type);
        Target.Write(writer);
    }

    public static TargetRequest Read(MessageType type, ref WireReader reader) => new(type, ObjectRef.Read(ref reader));
}

/// <summary>PutName gives <see cref="Id"/> the name; DropName (with no id) takes it away.</summary>
public sealed record NameRequest(MessageType Type, string Name, ObjectId Id)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(Type);
        writer.WriteString(Name);
        writer.WriteUInt64(Id.Value);
    }

    public static NameRequest Read(MessageType type, ref WireReader reader) =>
        new(type, reader.ReadString(), new ObjectId(reader.ReadUInt64()));
}

/// <summary>List objects whose name or type name contains <see cref="Pattern"/> (all when empty), up to <see cref="Limit"/>.</summary>
public sealed record ListRequest(string Pattern, int Limit)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.List);
        writer.WriteString(Pattern);
        writer.WriteUInt32((uint)Limit);
    }

    public static ListRequest Read(ref WireReader reader) => new(reader.ReadString(), (int)Math.Min(reader.ReadUInt32(), int.MaxValue));
}

public sealed record ObjectListResponse(IReadOnlyList<ObjectSummary> Objects, bool Truncated)
{
    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.ObjectList);
        writer.WriteCount(Objects.Count);
        foreach (var summary in Objects)
        {
            summary.Write(writer);
        }

        writer.WriteBool(Truncated);
    }

    public static ObjectListResponse Read(ref WireReader reader)
    {
        var objects = new ObjectSummary[reader.ReadCount(ObjectSummaryCodec.MinWireLength)];
        for (var i = 0; i < objects.Length; i++)
        {
            objects[i] = ObjectSummaryCodec.Read(ref reader);
        }

        return new ObjectListResponse(objects, reader.ReadBool());
    }
}

/// <summary>A failed request: the code, a message that says what to do, and for NotEnoughMemory the sizes involved.</summary>
public sealed record ErrorResponse(ObjectStoreErrorCode Code, string Message, long Requested = 0, long Available = 0, long Used = 0, long Capacity = 0)
{
    public static ErrorResponse From(ObjectStoreException error) => error is NotEnoughMemoryException full
        ? new ErrorResponse(error.Code, error.Message, full.Requested, full.Available, full.Used, full.Capacity)
        : new ErrorResponse(error.Code, error.Message);

    public ObjectStoreException ToException() => Code == ObjectStoreErrorCode.NotEnoughMemory
        ? new NotEnoughMemoryException(Message, Requested, Available, Used, Capacity)
        : new ObjectStoreException(Code, Message);

    public void Write(FrameWriter writer)
    {
        writer.Begin(MessageType.Error);
        writer.WriteUInt16((ushort)Code);
        writer.WriteString(Message);
        writer.WriteInt64(Requested);
        writer.WriteInt64(Available);
        writer.WriteInt64(Used);
        writer.WriteInt64(Capacity);
    }

    public static ErrorResponse Read(ref WireReader reader) =>
        new((ObjectStoreErrorCode)reader.ReadUInt16(), reader.ReadString(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64());
}
