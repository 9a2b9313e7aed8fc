using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Tests.Protocol;

/// <summary>
/// Reading a frame body: every field that runs past the end, every impossible value and every byte left over is a
/// <see cref="WireFormatException"/> that says what was wrong, never another exception and never a guess.
/// </summary>
public sealed class WireReaderTests
{
    private delegate void Read(ref WireReader reader);

    public static TheoryData<string, byte[]> TruncatedFields => new()
    {
        { "byte", [] },
        { "bool", [] },
        { "uint16", [1] },
        { "uint32", [1, 2, 3] },
        { "uint64", [1, 2, 3, 4, 5, 6, 7] },
        { "int64", [1] },
        { "count", [0x80] },
        { "count", [0xFF, 0xFF] },
        { "string", [] },
        { "string", [5, (byte)'a', (byte)'b'] },
        { "nullable string", [1, 3, (byte)'a'] },
    };

    [Theory]
    [MemberData(nameof(TruncatedFields))]
    public void A_field_cut_off_by_the_end_of_the_frame_is_refused(string field, byte[] body)
    {
        var error = Assert.Throws<WireFormatException>(() => ReadField(field, body));

        Assert.Matches("ends early|exceeds the [0-9]+ bytes left", error.Message);
    }

    [Fact]
    public void A_truncated_fixed_field_says_how_many_bytes_it_needs_and_how_many_are_left()
    {
        var error = Assert.Throws<WireFormatException>(() => ReadField("uint64", [1, 2, 3]));

        Assert.Equal("The frame ends early: a field needs 8 bytes, 3 are left.", error.Message);
    }

    [Fact]
    public void Fields_read_in_order_and_the_end_is_where_they_stop()
    {
        byte[] body = [7, 1, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0x02, (byte)'h', (byte)'i', 0, 1, 0x01, (byte)'x'];
        var reader = new WireReader(body);

        Assert.Equal(7, reader.ReadByte());
        Assert.True(reader.ReadBool());
        Assert.Equal(0x1234, reader.ReadUInt16());
        Assert.Equal(0x12345678u, reader.ReadUInt32());
        Assert.Equal("hi", reader.ReadString());
        Assert.Null(reader.ReadNullableString());
        Assert.Equal("x", reader.ReadNullableString());
        Assert.Equal(0, reader.Remaining);
        reader.ExpectEnd();
    }

    [Theory]
    [InlineData(new byte[] { 5, 1, 2, 3, 4 }, 4)]
    [InlineData(new byte[] { 0x80, 0x01, 1, 2, 3 }, 3)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x07 }, 0)]
    public void A_count_larger_than_the_bytes_left_is_refused_before_anything_is_allocated(byte[] body, int left)
    {
        var error = Assert.Throws<WireFormatException>(() =>
        {
            var reader = new WireReader(body);
            reader.ReadCount();
        });

        Assert.Contains($"exceeds the {left} bytes left", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_count_of_items_is_held_to_the_bytes_each_item_needs()
    {
        // Three ids need 24 bytes; 23 are not enough, though they are more than three.
        byte[] body = [3, .. new byte[23]];

        var error = Assert.Throws<WireFormatException>(() =>
        {
            var reader = new WireReader(body);
            IdListMessage.Read(MessageType.Release, ref reader);
        });

        Assert.Equal("A count of 3 items of at least 8 bytes each exceeds the 23 bytes left in the frame.", error.Message);
        var fits = new WireReader([3, .. new byte[24]]);
        Assert.Equal(3, fits.ReadCount(8));
    }

    [Fact]
    public void A_count_of_more_than_five_bytes_is_refused()
    {
        var error = Assert.Throws<WireFormatException>(() =>
        {
            var reader = new WireReader([0x80, 0x80, 0x80, 0x80, 0x80, 0x00, .. new byte[100]]);
            reader.ReadCount();
        });

        Assert.Equal("A count is longer than five bytes.", error.Message);
    }

    [Theory]
    [InlineData(0x10)]
    [InlineData(0x40)]
    [InlineData(0x7F)]
    public void A_count_beyond_32_bits_is_refused_not_wrapped_to_a_small_one(byte fifth)
    {
        // 1 + (fifth << 28): the bits above 32 would be lost in a 32-bit value, leaving a count of 1.
        byte[] body = [0x81, 0x80, 0x80, 0x80, fifth, .. new byte[64]];

        var error = Assert.Throws<WireFormatException>(() =>
        {
            var reader = new WireReader(body);
            reader.ReadCount();
        });

        Assert.Contains($"A count of {1 + ((ulong)fifth << 28)} exceeds", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98 })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    public void A_string_that_is_not_valid_UTF8_is_refused(byte[] bytes)
    {
        var error = Assert.Throws<WireFormatException>(() =>
        {
            var reader = new WireReader([(byte)bytes.Length, .. bytes]);
            reader.ReadString();
        });

        Assert.Equal("A string field is not valid UTF-8.", error.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0x80)]
    [InlineData(0xFF)]
    public void A_boolean_other_than_0_or_1_is_refused(byte value)
    {
        var error = Assert.Throws<WireFormatException>(() =>
        {
            var reader = new WireReader([value]);
            reader.ReadBool();
        });

        Assert.Equal($"A boolean field holds {value}, not 0 or 1.", error.Message);
    }

    [Fact]
    public void A_size_of_2_to_the_63_or_more_is_refused()
    {
        var error = Assert.Throws<WireFormatException>(() =>
        {
            var reader = new WireReader([0, 0, 0, 0, 0, 0, 0, 0x80]);
            reader.ReadInt64();
        });

        Assert.Equal($"A size field holds {1UL << 63}, beyond 2^63 - 1.", error.Message);
        var largest = new WireReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]);
        Assert.Equal(long.MaxValue, largest.ReadInt64());
    }

    [Fact]
    public void Bytes_after_the_last_field_are_refused()
    {
        var writer = new FrameWriter();
        new GetRequest(ObjectRef.ByName("x"), false).Write(writer);
        byte[] body = [.. writer.End().Span[(Wire.HeaderLength + 1)..], 0x00, 0x00];

        var error = Assert.Throws<WireFormatException>(() =>
        {
            var reader = new WireReader(body);
            GetRequest.Read(ref reader);
            reader.ExpectEnd();
        });

        Assert.Equal("The frame has 2 unexpected bytes after its last field.", error.Message);
    }

    [Fact]
    public void Metadata_nested_deeper_than_MaxDepth_is_refused_however_deep()
    {
        foreach (var levels in new[] { ObjectMeta.MaxDepth + 2, 10_000 })
        {
            var error = Assert.Throws<WireFormatException>(() =>
            {
                var reader = new WireReader(NestedMeta(levels));
                ObjectMetaCodec.Read(ref reader);
            });

            Assert.Equal($"Object metadata nests deeper than {ObjectMeta.MaxDepth} levels.", error.Message);
        }

        var deepest = new WireReader(NestedMeta(ObjectMeta.MaxDepth + 1));
        var meta = ObjectMetaCodec.Read(ref deepest);
        deepest.ExpectEnd();
        for (var level = 0; level < ObjectMeta.MaxDepth; level++)
        {
            meta = meta.Member("inner");
        }

        Assert.True(meta.IsBlob);
    }

    [Fact]
    public void A_member_named_twice_is_refused()
    {
        var writer = new FrameWriter().Begin(MessageType.ObjectData);
        WriteNode(writer, "fluid::Pair", members: 2);
        for (var i = 0; i < 2; i++)
        {
            writer.WriteString("same");
            WriteNode(writer, ObjectMeta.BlobTypeName, members: 0);
        }

        var error = Assert.Throws<WireFormatException>(() =>
        {
            var reader = new WireReader(writer.End().Span[(Wire.HeaderLength + 1)..]);
            ObjectMetaCodec.Read(ref reader);
        });

        Assert.Equal("The member 'same' appears twice in the metadata of fluid::Pair.", error.Message);
    }

    [Fact]
    public void A_member_count_that_claims_the_rest_of_the_frame_at_every_level_is_refused_without_reserving_it()
    {
        // Down a chain of nested members, each count claims all the bytes left; read, such a frame must cost about
        // its own size, not the sum of what the counts claim at every level.
        var body = ClaimingChain(levels: ObjectMeta.MaxDepth, frameLength: 4 * 1024 * 1024);
        var before = GC.GetAllocatedBytesForCurrentThread();

        Assert.Throws<WireFormatException>(() =>
        {
            var reader = new WireReader(body);
            ObjectMetaCodec.Read(ref reader);
        });

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < body.Length, $"Reading a {body.Length}-byte frame allocated {allocated} bytes.");
    }

    [Fact]
    public void Every_message_refuses_every_truncation_of_itself_with_a_WireFormatException()
    {
        var frames = new (MessageType Type, byte[] Frame)[]
        {
            Frame(w => new HelloRequest(Wire.Magic, Wire.ProtocolVersion, "client", 1).Write(w)),
            Frame(w => new WelcomeResponse(1, "node", 65_536, [new ArenaInfo(0, 4096)]).Write(w)),
            Frame(w => new CreateBlobsRequest([1, 2], 3).Write(w)),
            Frame(w => new BlobsResponse([new BlobLocation(new ObjectId(1), 0, 0, 1)], new BlobLocation(new ObjectId(2), 0, 64, 1)).Write(w)),
            Frame(w => new CreateObjectRequest(new ObjectMeta { TypeName = "t", Members = new Dictionary<string, ObjectMeta> { ["b"] = ObjectMeta.Blob(new ObjectId(1), 1) } }, "n", false, 0).Write(w)),
            Frame(w => new CreatedResponse(new ObjectId(1), null).Write(w)),
            Frame(w => new GetRequest(ObjectRef.ByName("n"), true).Write(w)),
            Frame(w => new ObjectResponse(ObjectMeta.Blob(new ObjectId(1), 1), [new BlobLocation(new ObjectId(1), 0, 0, 1)]).Write(w)),
            Frame(w => new IdListMessage(MessageType.Release, [new ObjectId(1)]).Write(w)),
            Frame(w => new TargetRequest(MessageType.Delete, ObjectRef.ById(new ObjectId(1))).Write(w)),
            Frame(w => new NameRequest(MessageType.PutName, "n", new ObjectId(1)).Write(w)),
            Frame(w => new ListRequest("p", 5).Write(w)),
            Frame(w => new ObjectListResponse([new ObjectSummary(new ObjectId(1), "t", 1, 0, false, true, false, ["n"])], false).Write(w)),
            Frame(w => new StoreStats { Node = "n" }.Write(w)),
            Frame(w => new ErrorResponse(ObjectStoreErrorCode.Internal, "m").Write(w)),
        };

        foreach (var (type, frame) in frames)
        {
            var body = frame.AsSpan(Wire.HeaderLength + 1).ToArray();
            ReadMessage(type, body);
            for (var length = 0; length < body.Length; length++)
            {
                var cut = body[..length];
                var error = Record.Exception(() => ReadMessage(type, cut));
                Assert.True(error is WireFormatException, $"{type} cut to {length} of {body.Length} bytes: {error?.GetType().Name ?? "read without error"}");
            }
        }
    }

    private static void ReadField(string field, byte[] body)
    {
        var reader = new WireReader(body);
        _ = field switch
        {
            "byte" => reader.ReadByte(),
            "bool" => reader.ReadBool() ? 1 : 0,
            "uint16" => reader.ReadUInt16(),
            "uint32" => reader.ReadUInt32(),
            "uint64" => (object)reader.ReadUInt64(),
            "int64" => reader.ReadInt64(),
            "count" => reader.ReadCount(),
            "string" => reader.ReadString(),
            "nullable string" => reader.ReadNullableString(),
            _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
        };
    }

    /// <summary>Reads a whole message of <paramref name="type"/> from its fields, as the daemon or a client would.</summary>
    private static void ReadMessage(MessageType type, byte[] body)
    {
        var reader = new WireReader(body);
        _ = type switch
        {
            MessageType.Hello => HelloRequest.Read(ref reader),
            MessageType.Welcome => WelcomeResponse.Read(ref reader),
            MessageType.CreateBlobs => CreateBlobsRequest.Read(ref reader),
            MessageType.Blobs => BlobsResponse.Read(ref reader),
            MessageType.CreateObject => CreateObjectRequest.Read(ref reader),
            MessageType.Created => CreatedResponse.Read(ref reader),
            MessageType.Get => GetRequest.Read(ref reader),
            MessageType.ObjectData => ObjectResponse.Read(ref reader),
            MessageType.Release => IdListMessage.Read(type, ref reader),
            MessageType.Delete => TargetRequest.Read(type, ref reader),
            MessageType.PutName => NameRequest.Read(type, ref reader),
            MessageType.List => ListRequest.Read(ref reader),
            MessageType.ObjectList => ObjectListResponse.Read(ref reader),
            MessageType.StatsReply => StoreStatsCodec.Read(ref reader),
            MessageType.Error => (object)ErrorResponse.Read(ref reader),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
        reader.ExpectEnd();
    }

    private static (MessageType, byte[]) Frame(Action<FrameWriter> write)
    {
        var writer = new FrameWriter();
        write(writer);
        var frame = writer.End().ToArray();
        return ((MessageType)frame[Wire.HeaderLength], frame);
    }

    /// <summary>A chain of <paramref name="levels"/> nodes, each with one member named "inner", written by hand.</summary>
    private static byte[] NestedMeta(int levels)
    {
        var writer = new FrameWriter().Begin(MessageType.ObjectData);
        for (var level = 0; level < levels; level++)
        {
            var last = level == levels - 1;
            WriteNode(writer, last ? ObjectMeta.BlobTypeName : "fluid::Nest", members: last ? 0 : 1);
            if (!last)
            {
                writer.WriteString("inner");
            }
        }

        return writer.End().Span[(Wire.HeaderLength + 1)..].ToArray();
    }

    /// <summary>Nodes whose member count claims as many members as the bytes left could hold, padded to the length.</summary>
    private static byte[] ClaimingChain(int levels, int frameLength)
    {
        var writer = new FrameWriter().Begin(MessageType.ObjectData);
        var length = 1;
        for (var level = 0; level < levels; level++)
        {
            WriteNode(writer, "", members: 0, countless: true);
            length += 8 + 1 + 8 + 2 + 1 + 1 + 1;
            var left = frameLength - length - 5;
            writer.WriteCount(left / 25);
            writer.WriteString("");
            length += 5 + 1;
        }

        var body = writer.End().Span[(Wire.HeaderLength + 1)..].ToArray();
        return [.. body, .. new byte[frameLength - body.Length]];
    }

    /// <summary>One node up to its member count, with no labels or fields; <paramref name="countless"/> leaves the count to the caller.</summary>
    private static void WriteNode(FrameWriter writer, string typeName, int members, bool countless = false)
    {
        writer.WriteUInt64(0);
        writer.WriteString(typeName);
        writer.WriteInt64(1);
        writer.WriteUInt16(0);
        writer.WriteBool(false);
        writer.WriteCount(0);
        writer.WriteCount(0);
        if (!countless)
        {
            writer.WriteCount(members);
        }
    }
}
