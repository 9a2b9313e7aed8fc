using System.Buffers.Binary;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Tests.Protocol;

/// <summary>Every message reads back as it was written, to the last byte, with the header telling the body's length.</summary>
public sealed class WireCodecTests
{
    private static readonly ObjectId SomeObject = ObjectId.Create(1_000_000, 3, 17, blob: false);
    private static readonly ObjectId SomeBlob = ObjectId.Create(1_000_000, 3, 18, blob: true);
    private static readonly ObjectId OtherBlob = ObjectId.Create(1_000_001, 3, 0, blob: true);

    private delegate T FieldReader<out T>(ref WireReader reader);

    [Fact]
    public void Hello_round_trips_with_a_name_in_any_script()
    {
        var hello = new HelloRequest(Wire.Magic, Wire.ProtocolVersion, "trainer ✓ 学習", 4242);

        Assert.Equal(hello, RoundTrip(hello.Write, MessageType.Hello, HelloRequest.Read));
    }

    [Fact]
    public void A_Hello_of_another_protocol_is_read_up_to_its_magic_and_version()
    {
        // Whatever a future version puts after them, the daemon can still say which version it speaks.
        var writer = new FrameWriter();
        new HelloRequest(Wire.Magic, 7, "future", 1).Write(writer);
        var reader = new WireReader(writer.End().Span[(Wire.HeaderLength + 1)..]);

        var hello = HelloRequest.Read(ref reader);

        Assert.Equal(new HelloRequest(Wire.Magic, 7, "", 0), hello);
        Assert.True(reader.Remaining > 0);
    }

    [Fact]
    public void Welcome_round_trips_with_its_arenas()
    {
        var welcome = new WelcomeResponse(1023, "node-α", Wire.DefaultMaxFrameLength, [new ArenaInfo(0, 1L << 30), new ArenaInfo(1, 4096), new ArenaInfo(65_535, long.MaxValue)]);

        var read = RoundTrip(welcome.Write, MessageType.Welcome, WelcomeResponse.Read);

        Assert.Equal((welcome.Instance, welcome.Node, welcome.MaxFrameLength), (read.Instance, read.Node, read.MaxFrameLength));
        Assert.Equal(welcome.Arenas, read.Arenas);
    }

    [Fact]
    public void A_Welcome_of_another_protocol_version_is_a_VersionMismatch_that_says_what_to_do()
    {
        var writer = new FrameWriter();
        new WelcomeResponse(0, "n", 65_536, []).Write(writer);
        var frame = writer.End().ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(Wire.HeaderLength + 1), 9);

        var error = Assert.Throws<ObjectStoreException>(() =>
        {
            var reader = new WireReader(frame.AsSpan(Wire.HeaderLength + 1));
            WelcomeResponse.Read(ref reader);
        });

        Assert.Equal(ObjectStoreErrorCode.VersionMismatch, error.Code);
        Assert.Contains($"version 9, this client {Wire.ProtocolVersion}", error.Message, StringComparison.Ordinal);
        Assert.Contains("use a client of the daemon's release", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateBlobs_round_trips_with_its_sizes_and_spare()
    {
        var request = new CreateBlobsRequest([1, 4096, long.MaxValue], 65_536);

        var read = RoundTrip(request.Write, MessageType.CreateBlobs, CreateBlobsRequest.Read);

        Assert.Equal(request.Sizes, read.Sizes);
        Assert.Equal(request.SpareSize, read.SpareSize);
    }

    [Fact]
    public void Blobs_round_trip_with_and_without_a_spare()
    {
        var blobs = new BlobLocation[] { new(SomeBlob, 0, 0, 100), new(OtherBlob, 65_535, long.MaxValue - 1, long.MaxValue) };
        foreach (var spare in new BlobLocation?[] { null, new BlobLocation(OtherBlob, 2, 4096, 64) })
        {
            var response = new BlobsResponse(blobs, spare);

            var read = RoundTrip(response.Write, MessageType.Blobs, BlobsResponse.Read);

            Assert.Equal(blobs, read.Blobs);
            Assert.Equal(spare, read.Spare);
        }
    }

    [Theory]
    [InlineData(null, false, 0L)]
    [InlineData("x_train", true, 65_536L)]
    public void CreateObject_round_trips_with_its_tree_name_and_flags(string? name, bool persist, long spare)
    {
        var request = new CreateObjectRequest(Tree(), name, persist, spare);

        var read = RoundTrip(request.Write, MessageType.CreateObject, CreateObjectRequest.Read);

        AssertSameMeta(request.Meta, read.Meta);
        Assert.Equal((name, persist, spare), (read.Name, read.Persist, read.SpareSize));
    }

    [Fact]
    public void Created_round_trips_with_and_without_a_spare()
    {
        foreach (var spare in new BlobLocation?[] { null, new BlobLocation(SomeBlob, 1, 128, 4096) })
        {
            var response = new CreatedResponse(SomeObject, spare);

            Assert.Equal(response, RoundTrip(response.Write, MessageType.Created, CreatedResponse.Read));
        }
    }

    [Fact]
    public void Get_round_trips_by_id_and_by_name()
    {
        foreach (var request in new[] { new GetRequest(ObjectRef.ById(SomeObject), false), new GetRequest(ObjectRef.ByName("run-42/model"), true) })
        {
            Assert.Equal(request, RoundTrip(request.Write, MessageType.Get, GetRequest.Read));
        }
    }

    [Fact]
    public void ObjectData_round_trips_with_its_tree_and_blob_locations()
    {
        var response = new ObjectResponse(Tree(), [new BlobLocation(SomeBlob, 0, 64, 10), new BlobLocation(OtherBlob, 1, 0, 20)]);

        var read = RoundTrip(response.Write, MessageType.ObjectData, ObjectResponse.Read);

        AssertSameMeta(response.Meta, read.Meta);
        Assert.Equal(response.Blobs, read.Blobs);
    }

    [Theory]
    [InlineData(MessageType.Release)]
    [InlineData(MessageType.DropBlobs)]
    public void Release_and_DropBlobs_round_trip_with_any_ids(MessageType type)
    {
        foreach (var ids in new ObjectId[][] { [], [SomeObject], [SomeObject, SomeBlob, ObjectId.None, new ObjectId(ulong.MaxValue)] })
        {
            var message = new IdListMessage(type, ids);

            var read = RoundTrip(message.Write, type, (ref WireReader r) => IdListMessage.Read(type, ref r));

            Assert.Equal(type, read.Type);
            Assert.Equal(ids, read.Ids);
        }
    }

    [Theory]
    [InlineData(MessageType.Delete)]
    [InlineData(MessageType.Persist)]
    [InlineData(MessageType.Stat)]
    public void Delete_Persist_and_Stat_round_trip_by_id_and_by_name(MessageType type)
    {
        foreach (var target in new[] { ObjectRef.ById(SomeObject), ObjectRef.ByName("名前") })
        {
            var request = new TargetRequest(type, target);

            Assert.Equal(request, RoundTrip(request.Write, type, (ref WireReader r) => TargetRequest.Read(type, ref r)));
        }
    }

    [Theory]
    [InlineData(MessageType.PutName)]
    [InlineData(MessageType.DropName)]
    public void PutName_and_DropName_round_trip(MessageType type)
    {
        var request = new NameRequest(type, "x_train", type == MessageType.PutName ? SomeObject : ObjectId.None);

        Assert.Equal(request, RoundTrip(request.Write, type, (ref WireReader r) => NameRequest.Read(type, ref r)));
    }

    [Fact]
    public void List_round_trips_and_a_limit_beyond_int_reads_as_the_largest_int()
    {
        var request = new ListRequest("fluid::Tensor", 1000);
        Assert.Equal(request, RoundTrip(request.Write, MessageType.List, ListRequest.Read));

        var huge = RoundTrip(
            w =>
            {
                w.Begin(MessageType.List);
                w.WriteString("");
                w.WriteUInt32(uint.MaxValue);
            },
            MessageType.List,
            ListRequest.Read);
        Assert.Equal(new ListRequest("", int.MaxValue), huge);
    }

    [Fact]
    public void ObjectInfo_round_trips_with_its_metadata_and_whether_it_is_local()
    {
        foreach (var isLocal in new[] { true, false })
        {
            var info = new ObjectInfo(ObjectMeta.Blob(SomeBlob, 0).WithLabels(new Dictionary<string, string> { ["k"] = "v" }), isLocal);

            var read = RoundTrip(info.Write, MessageType.ObjectInfo, ObjectInfo.Read);

            Assert.Equal(info.IsLocal, read.IsLocal);
            Assert.Equal(info.Meta.Id, read.Meta.Id);
            Assert.Equal(0, read.Meta.NBytes);
            Assert.Equal("v", read.Meta.Labels["k"]);
        }
    }

    [Fact]
    public void ObjectList_round_trips_with_names_and_flags()
    {
        var response = new ObjectListResponse(
            [
                new ObjectSummary(SomeObject, "fluid::Tensor", 4096, 3, IsPersisted: true, IsLocal: false, IsSpilled: true, ["a", "b/c"]),
                new ObjectSummary(new ObjectId(1), "", 0, 0, IsPersisted: false, IsLocal: true, IsSpilled: false, []),
            ],
            Truncated: true);

        var read = RoundTrip(response.Write, MessageType.ObjectList, ObjectListResponse.Read);

        Assert.True(read.Truncated);
        Assert.Equal(response.Objects.Count, read.Objects.Count);
        for (var i = 0; i < read.Objects.Count; i++)
        {
            var (expected, actual) = (response.Objects[i], read.Objects[i]);
            Assert.Equal(
                (expected.Id, expected.TypeName, expected.NBytes, expected.Instance, expected.IsPersisted, expected.IsLocal, expected.IsSpilled),
                (actual.Id, actual.TypeName, actual.NBytes, actual.Instance, actual.IsPersisted, actual.IsLocal, actual.IsSpilled));
            Assert.Equal(expected.Names, actual.Names);
        }
    }

    [Fact]
    public void Stats_request_and_Ok_are_a_type_alone()
    {
        Assert.True(RoundTrip(w => w.Begin(MessageType.Stats), MessageType.Stats, (ref WireReader _) => true));
        Assert.True(RoundTrip(w => w.Begin(MessageType.Ok), MessageType.Ok, (ref WireReader _) => true));
    }

    [Fact]
    public void StatsReply_round_trips_every_counter_exactly()
    {
        var stats = new StoreStats
        {
            Instance = 1023, Node = "node-7", Backend = "memfd", Arenas = 64, Capacity = 1L << 40, Used = 123_456_789, Free = 987_654_321,
            LargestFreeBlock = 55_555, Fragmentation = 0.123456789012345, Objects = int.MaxValue, Blobs = 2, UnsealedBlobs = 3, Connections = 4,
            SpilledBytes = long.MaxValue, SpilledBlobs = 5, Puts = 6, Gets = 7, FetchedBytes = 8,
        };

        Assert.Equal(stats, RoundTrip(stats.Write, MessageType.StatsReply, StoreStatsCodec.Read));
    }

    [Fact]
    public void Errors_round_trip_and_NotEnoughMemory_keeps_its_sizes()
    {
        var plain = ErrorResponse.From(new ObjectStoreException(ObjectStoreErrorCode.NameTaken, "The name 'x' is taken."));
        var full = ErrorResponse.From(NotEnoughMemoryException.For(1 << 30, 1 << 20, 5 << 20, 6 << 20));

        Assert.Equal(plain, RoundTrip(plain.Write, MessageType.Error, ErrorResponse.Read));
        var read = RoundTrip(full.Write, MessageType.Error, ErrorResponse.Read);
        Assert.Equal(full, read);
        var exception = Assert.IsType<NotEnoughMemoryException>(read.ToException());
        Assert.Equal((1L << 30, 1L << 20, 5L << 20, 6L << 20), (exception.Requested, exception.Available, exception.Used, exception.Capacity));
        Assert.Contains("requested 1 GiB", exception.Message, StringComparison.Ordinal);
        var other = plain.ToException();
        Assert.IsNotType<NotEnoughMemoryException>(other);
        Assert.Equal((ObjectStoreErrorCode.NameTaken, "The name 'x' is taken."), (other.Code, other.Message));
    }

    [Fact]
    public void A_nested_metadata_tree_keeps_its_order_labels_fields_and_shared_blobs()
    {
        var tree = Tree();

        var read = RoundTrip(w =>
        {
            w.Begin(MessageType.ObjectData);
            ObjectMetaCodec.Write(w, tree);
        }, MessageType.ObjectData, ObjectMetaCodec.Read);

        AssertSameMeta(tree, read);
        Assert.Equal(["z", "a", "m"], read.Members.Keys);
        Assert.Equal([SomeBlob, OtherBlob], read.Blobs().Select(b => b.Id));
    }

    [Fact]
    public void Names_that_frames_repeat_read_as_one_string_each_and_values_as_their_own()
    {
        var first = ReadMeta(Tree());
        var second = ReadMeta(Tree());

        // A store of a million objects holds each type name, member name and field key once, not a million times.
        Assert.Same(first.TypeName, second.TypeName);
        Assert.Same(first.Members.Keys.First(), second.Members.Keys.First());
        Assert.Same(first.Member("z").Member("data").TypeName, second.Member("a").TypeName);
        Assert.Same(first.Fields.Keys.First(), second.Fields.Keys.First());
        Assert.NotSame(first.Fields["schema"], second.Fields["schema"]);
        Assert.NotSame(first.Labels["step"], second.Labels["step"]);
    }

    [Fact]
    public void A_type_name_longer_than_a_symbol_and_one_in_another_script_read_back_exactly()
    {
        var longName = "fluid::" + new string('x', 200);
        var meta = new ObjectMeta { TypeName = longName, Members = new Dictionary<string, ObjectMeta> { ["データ"] = ObjectMeta.Blob(SomeBlob, 1) } };

        var read = ReadMeta(meta);

        Assert.Equal(longName, read.TypeName);
        Assert.Equal(["データ"], read.Members.Keys);
    }

    [Fact]
    public void A_type_name_that_is_not_UTF_8_is_refused()
    {
        var writer = new FrameWriter();
        writer.Begin(MessageType.ObjectData);
        ObjectMetaCodec.Write(writer, new ObjectMeta { TypeName = "ab" });
        var frame = writer.End().ToArray();
        // The type name follows the message type and the 8-byte id: a count of 2, then its two bytes.
        frame[Wire.HeaderLength + 1 + 8 + 1] = 0xff;

        var error = Assert.Throws<WireFormatException>(() =>
        {
            var reader = new WireReader(frame.AsSpan(Wire.HeaderLength + 1));
            ObjectMetaCodec.Read(ref reader);
        });
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Blobs_of_a_tree_of_many_members_come_once_each_in_depth_first_order()
    {
        var blobs = Enumerable.Range(0, 40).Select(i => ObjectMeta.Blob(ObjectId.Create(1_000_000, 3, i, blob: true), i + 1)).ToArray();
        var members = new OrderedDictionary<string, ObjectMeta>(StringComparer.Ordinal);
        for (var i = 0; i < blobs.Length; i++)
        {
            members[$"m{i}"] = blobs[i];
            // Every blob is named again by a later member, before and after the point where a set takes over.
            members[$"again{i}"] = blobs[i / 2];
        }

        var meta = new ObjectMeta { TypeName = "fluid::Many", Members = members };

        Assert.Equal(blobs.Select(b => b.Id), meta.Blobs().Select(b => b.Id));
        Assert.Equal([SomeBlob], ObjectMeta.Blob(SomeBlob, 5).Blobs().Select(b => b.Id));
    }

    [Fact]
    public void Metadata_nested_MaxDepth_levels_below_its_root_is_written_and_read_one_level_more_is_refused()
    {
        var deepest = Chain(ObjectMeta.MaxDepth);
        var read = RoundTrip(w =>
        {
            w.Begin(MessageType.ObjectData);
            ObjectMetaCodec.Write(w, deepest);
        }, MessageType.ObjectData, ObjectMetaCodec.Read);
        AssertSameMeta(deepest, read);

        var error = Assert.Throws<ObjectStoreException>(() => ObjectMetaCodec.Write(new FrameWriter().Begin(MessageType.ObjectData), Chain(ObjectMeta.MaxDepth + 1)));
        Assert.Equal(ObjectStoreErrorCode.InvalidArgument, error.Code);
        Assert.Contains($"deeper than {ObjectMeta.MaxDepth} levels", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x_train", null)]
    [InlineData("o0123456789abcdef", 0x0123456789abcdefUL)]
    [InlineData("o0123456789ABCDEF", 0x0123456789abcdefUL)]
    [InlineData("o0123456789abcde", null)]
    public void ObjectRef_text_is_an_id_when_it_looks_like_one_and_a_name_otherwise(string text, ulong? id)
    {
        var target = ObjectRef.Parse(text);

        Assert.Equal(id is null ? ObjectRef.ByName(text) : ObjectRef.ById(new ObjectId(id.Value)), target);
        Assert.Equal(id is null ? $"'{text}'" : new ObjectId(id.Value).ToString(), target.ToString());
    }

    [Fact]
    public void The_writer_is_reused_frame_after_frame_and_grows_for_large_ones()
    {
        var writer = new FrameWriter();
        var big = new string('x', 100_000);
        new NameRequest(MessageType.PutName, big, SomeObject).Write(writer);
        Assert.Equal(Wire.HeaderLength + 1 + 3 + 100_000 + 8, writer.End().Length);

        writer.Begin(MessageType.Stats);
        var frame = writer.End();

        Assert.Equal(Wire.HeaderLength + 1, frame.Length);
        Assert.Equal(1UL, BinaryPrimitives.ReadUInt64LittleEndian(frame.Span));
    }

    [Theory]
    [InlineData(0, new byte[] { 0x00 })]
    [InlineData(127, new byte[] { 0x7F })]
    [InlineData(128, new byte[] { 0x80, 0x01 })]
    [InlineData(300, new byte[] { 0xAC, 0x02 })]
    [InlineData(int.MaxValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x07 })]
    public void Counts_are_LEB128(int count, byte[] encoded)
    {
        var writer = new FrameWriter().Begin(MessageType.Stats);
        writer.WriteCount(count);

        Assert.Equal(encoded, writer.End().Span[(Wire.HeaderLength + 1)..].ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.WriteCount(-1));
    }

    private static T RoundTrip<T>(Action<FrameWriter> write, MessageType type, FieldReader<T> read)
    {
        var writer = new FrameWriter();
        write(writer);
        var frame = writer.End();
        Assert.Equal((ulong)(frame.Length - Wire.HeaderLength), BinaryPrimitives.ReadUInt64LittleEndian(frame.Span));

        var reader = new WireReader(frame.Span[Wire.HeaderLength..]);
        Assert.Equal(type, (MessageType)reader.ReadByte());
        var message = read(ref reader);
        reader.ExpectEnd();
        return message;
    }

    private static ObjectMeta ReadMeta(ObjectMeta meta) => RoundTrip(w =>
    {
        w.Begin(MessageType.ObjectData);
        ObjectMetaCodec.Write(w, meta);
    }, MessageType.ObjectData, ObjectMetaCodec.Read);

    /// <summary>A record of members in a chosen order: a tensor with two blobs, a blob shared twice, a nested part.</summary>
    private static ObjectMeta Tree() => new()
    {
        Id = SomeObject,
        TypeName = "fluid::Record",
        NBytes = 30,
        Instance = 3,
        IsPersisted = true,
        Labels = new Dictionary<string, string> { ["step"] = "train", ["ラベル"] = "値 ✓" },
        Fields = new Dictionary<string, string> { ["schema"] = "{\"a\":\"int64\"}", ["empty"] = "" },
        Members = new OrderedDictionary<string, ObjectMeta>(StringComparer.Ordinal)
        {
            ["z"] = new ObjectMeta
            {
                TypeName = "fluid::Tensor",
                NBytes = 10,
                Fields = new Dictionary<string, string> { ["shape"] = "[2,5]", ["dtype"] = "uint8" },
                Members = new OrderedDictionary<string, ObjectMeta>(StringComparer.Ordinal) { ["data"] = ObjectMeta.Blob(SomeBlob, 10) },
            },
            ["a"] = ObjectMeta.Blob(OtherBlob, 20),
            ["m"] = new ObjectMeta
            {
                TypeName = "fluid::Part",
                Members = new OrderedDictionary<string, ObjectMeta>(StringComparer.Ordinal)
                {
                    ["again"] = ObjectMeta.Blob(SomeBlob, 10),
                    ["deeper"] = new ObjectMeta { TypeName = "fluid::Empty" },
                },
            },
        },
    };

    /// <summary>A root with <paramref name="levels"/> levels of members below it, a blob at the bottom.</summary>
    private static ObjectMeta Chain(int levels)
    {
        var meta = ObjectMeta.Blob(SomeBlob, 1);
        for (var i = 0; i < levels; i++)
        {
            meta = new ObjectMeta { TypeName = $"level{levels - 1 - i}", Members = new Dictionary<string, ObjectMeta> { ["inner"] = meta } };
        }

        return meta;
    }

    private static void AssertSameMeta(ObjectMeta expected, ObjectMeta actual)
    {
        Assert.Equal(
            (expected.Id, expected.TypeName, expected.NBytes, expected.Instance, expected.IsPersisted),
            (actual.Id, actual.TypeName, actual.NBytes, actual.Instance, actual.IsPersisted));
        Assert.Equal(expected.Labels.ToArray(), actual.Labels.ToArray());
        Assert.Equal(expected.Fields.ToArray(), actual.Fields.ToArray());
        Assert.Equal(expected.Members.Keys, actual.Members.Keys);
        foreach (var (name, member) in expected.Members)
        {
            AssertSameMeta(member, actual.Members[name]);
        }
    }
}
