using System.Buffers.Binary;
using System.Text;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Fuzz;

/// <summary>
/// Makes hostile connections from valid ones: valid frames of every request, then bytes flipped, frames cut,
/// lengths changed, frames spliced together; and the known hard cases (lengths near 2^64, a wrong version, metadata
/// nested too deep, counts larger than the frame). Deterministic: case <c>i</c> of seed <c>s</c> is always the same.
/// </summary>
public sealed class CaseGenerator(int seed, int maxFrameLength = Wire.DefaultMaxFrameLength)
{
    private const ulong PlaceholderBase = 0xB10B_F022_0000_0000;

    private static readonly ulong[] InterestingLengths =
    [
        0, 1, 2, 7, 8, 255, 256, 65_535, 65_536, int.MaxValue, (ulong)int.MaxValue + 1, uint.MaxValue, (ulong)uint.MaxValue + 1,
        (1UL << 63) - 1, 1UL << 63, (1UL << 63) + 1, ulong.MaxValue - 7, ulong.MaxValue,
    ];

    private static readonly int[] FieldWidths = [1, 2, 4, 8];

    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x02, 0x7F, 0x80, 0x81, 0xC0, 0xC3, 0xFE, 0xFF];

    private static readonly string[] Names =
    [
        "x_train", "run-42/model", "名前", "emoji-😀", "", "has space", "tab\tname", "o0123456789abcdef", "\u0001ctl",
        new string('n', 253), new string('n', 254), "fz",
    ];

    public int Seed => seed;

    /// <summary>The id a case writes where the id of its <paramref name="blob"/>th created blob belongs.</summary>
    public static ulong Placeholder(int blob) => PlaceholderBase | (uint)blob;

    public FuzzCase Generate(long index)
    {
        var random = new Random(Mix(seed, index));
        var roll = random.Next(100);
        return roll switch
        {
            < 6 => RandomBytes(random, index),
            < 12 => HelloThenRandomBytes(random, index),
            < 14 => HelloThenRandomFrames(random, index),
            < 44 => Mutated(random, index),
            < 54 => Valid(random, index),
            < 66 => Sealing(random, index),
            < 72 => LengthPrefix(random, index),
            < 80 => BadHandshake(random, index),
            < 85 => UnknownType(random, index),
            < 94 => MalformedField(random, index),
            _ => ManySmallFrames(random, index),
        };
    }

    /// <summary>A frame of one message, as a client would send it.</summary>
    public static byte[] Encode(Action<FrameWriter> write)
    {
        var writer = new FrameWriter();
        write(writer);
        return writer.End().ToArray();
    }

    /// <summary>A frame with the given header length, type byte and fields, whatever they say.</summary>
    public static byte[] RawFrame(ulong length, byte type, ReadOnlySpan<byte> fields)
    {
        var frame = new byte[Wire.HeaderLength + 1 + fields.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(frame, length);
        frame[Wire.HeaderLength] = type;
        fields.CopyTo(frame.AsSpan(Wire.HeaderLength + 1));
        return frame;
    }

    /// <summary>A frame whose header tells the true length of the type byte and fields.</summary>
    public static byte[] RawFrame(byte type, ReadOnlySpan<byte> fields) => RawFrame((ulong)fields.Length + 1, type, fields);

    public static byte[] Hello(string clientName = "fuzz", uint magic = Wire.Magic, ushort version = Wire.ProtocolVersion) =>
        Encode(w => new HelloRequest(magic, version, clientName, Environment.ProcessId).Write(w));

    private static int Mix(int seed, long index)
    {
        // SplitMix64, so that neighbouring indexes give unrelated cases.
        var z = unchecked(((ulong)(uint)seed << 32) ^ (ulong)index) + 0x9E37_79B9_7F4A_7C15;
        z = unchecked((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9);
        z = unchecked((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB);
        return (int)(z ^ (z >> 31));
    }

    private static FuzzCase RandomBytes(Random random, long index)
    {
        var bytes = new byte[random.Next(1, 1024)];
        random.NextBytes(bytes);
        if (random.Next(2) == 0 && bytes.Length > Wire.HeaderLength)
        {
            // A plausible header, so that the body is read and judged, not just the length.
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)random.Next(1, bytes.Length - Wire.HeaderLength + 1));
        }

        return new FuzzCase { Index = index, Kind = "random-bytes", Bytes = bytes, Cuts = Cuts(random, bytes.Length), Ending = Ending(random) };
    }

    private static FuzzCase HelloThenRandomBytes(Random random, long index)
    {
        var bytes = new byte[random.Next(1, 2048)];
        random.NextBytes(bytes);
        return new FuzzCase
        {
            Index = index, Kind = "hello-then-random", Handshake = true, Bytes = bytes, Cuts = Cuts(random, bytes.Length), Ending = Ending(random),
        };
    }

    private static FuzzCase HelloThenRandomFrames(Random random, long index)
    {
        var frames = new List<byte[]>();
        for (var i = random.Next(1, 6); i > 0; i--)
        {
            var fields = new byte[random.Next(0, 64)];
            random.NextBytes(fields);
            frames.Add(RawFrame((byte)random.Next(256), fields));
        }

        var bytes = Concat(frames);
        return new FuzzCase
        {
            Index = index, Kind = "random-frames", Handshake = true, Bytes = bytes, Cuts = Cuts(random, bytes.Length), Ending = Ending(random),
        };
    }

    /// <summary>Valid requests, then mutations: the bulk of the cases, reaching every message's decoder with near-valid input.</summary>
    private FuzzCase Mutated(Random random, long index)
    {
        var withHello = random.Next(5) == 0;
        var frames = new List<byte[]>();
        if (withHello)
        {
            frames.Add(Hello(RandomName(random)));
        }

        for (var i = random.Next(1, 6); i > 0; i--)
        {
            frames.Add(RandomRequest(random).Frame);
        }

        var kinds = new List<string>();
        var protectedPrefix = withHello && random.Next(10) < 7 ? frames[0].Length : 0;
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            kinds.Add(MutateFrames(random, frames, withHello ? 1 : 0));
        }

        var bytes = Concat(frames);
        for (var i = random.Next(0, 3); i > 0; i--)
        {
            kinds.Add(MutateBytes(random, ref bytes, protectedPrefix));
        }

        return new FuzzCase
        {
            Index = index,
            Kind = $"mutated:{string.Join('+', kinds)}",
            Handshake = !withHello,
            Bytes = bytes,
            Cuts = Cuts(random, bytes.Length),
            Pause = random.Next(20) == 0,
            Ending = Ending(random),
        };
    }

    /// <summary>Valid requests with random values: each is answered, none with a protocol error.</summary>
    private static FuzzCase Valid(Random random, long index)
    {
        var frames = new List<byte[]>();
        var answers = 0;
        for (var i = random.Next(1, 9); i > 0; i--)
        {
            var (frame, answered) = RandomRequest(random);
            frames.Add(frame);
            answers += answered ? 1 : 0;
        }

        var bytes = Concat(frames);
        return new FuzzCase
        {
            Index = index, Kind = "valid", Handshake = true, Bytes = bytes, Cuts = Cuts(random, bytes.Length), ExpectedAnswers = answers,
        };
    }

    /// <summary>
    /// Blobs created for real, then sealed into an object of random shape, got, listed and deleted: the paths a
    /// connection takes when it owns something. Half of these are mutated after being built.
    /// </summary>
    private FuzzCase Sealing(Random random, long index)
    {
        var sizes = new long[random.Next(1, 4)];
        for (var i = 0; i < sizes.Length; i++)
        {
            sizes[i] = random.Next(4) == 0 ? random.Next(1, 256 * 1024) : random.Next(1, 8 * 1024);
        }

        var name = $"fz-{seed}-{index}";
        var named = random.Next(4) != 0;
        var frames = new List<(byte[] Frame, bool Answered)>
        {
            (Encode(w => new CreateObjectRequest(SealingMeta(random, sizes), named ? name : null, Persist: random.Next(10) == 0,
                SpareSize: random.Next(3) == 0 ? random.Next(1, 65_536) : 0).Write(w)), true),
        };
        if (named)
        {
            frames.Add((Encode(w => new GetRequest(ObjectRef.ByName(name), random.Next(2) == 0).Write(w)), true));
            frames.Add((Encode(w => new ListRequest(name, random.Next(0, 3)).Write(w)), true));
            frames.Add((Encode(w => new TargetRequest(MessageType.Stat, ObjectRef.ByName(name)).Write(w)), true));
            frames.Add((Encode(w => new NameRequest(MessageType.PutName, name + "-alias", ObjectId.None).Write(w)), true));
            frames.Add((Encode(w => new TargetRequest(MessageType.Delete, ObjectRef.ByName(name)).Write(w)), true));
        }

        // Blobs this connection created but did not seal: dropped, or left for the close to free.
        if (random.Next(2) == 0)
        {
            frames.Add((Encode(w => new IdListMessage(MessageType.DropBlobs, [new ObjectId(Placeholder(0)), new ObjectId(Placeholder(1))]).Write(w)), false));
        }

        frames.Add((Encode(w => w.Begin(MessageType.Stats)), true));
        var mutate = random.Next(2) == 0;
        var kinds = new List<string>();
        var list = frames.Select(f => f.Frame).ToList();
        var bytes = Concat(list);
        if (mutate)
        {
            for (var i = random.Next(1, 3); i > 0; i--)
            {
                kinds.Add(MutateFrames(random, list, 0));
            }

            bytes = Concat(list);
            if (random.Next(2) == 0)
            {
                kinds.Add(MutateBytes(random, ref bytes, 0));
            }
        }

        return new FuzzCase
        {
            Index = index,
            Kind = mutate ? $"sealing-mutated:{string.Join('+', kinds)}" : "sealing",
            Handshake = true,
            BlobSizes = sizes,
            Bytes = bytes,
            Cuts = Cuts(random, bytes.Length),
            ExpectedAnswers = mutate ? null : frames.Count(f => f.Answered),
        };
    }

    private FuzzCase LengthPrefix(Random random, long index)
    {
        var length = random.Next(3) switch
        {
            0 => InterestingLengths[random.Next(InterestingLengths.Length)],
            1 => (ulong)maxFrameLength + (ulong)random.Next(-2, 3),
            _ => (ulong)random.NextInt64(),
        };
        var tail = new byte[random.Next(0, 64)];
        random.NextBytes(tail);
        var bytes = new byte[Wire.HeaderLength + tail.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
        tail.CopyTo(bytes, Wire.HeaderLength);
        var handshake = random.Next(4) != 0;

        // Refused at the header; before the handshake, anything but a Hello is refused too.
        var refused = length == 0 || length > (ulong)(handshake ? maxFrameLength : Wire.MaxHelloLength) || !handshake;
        return new FuzzCase
        {
            Index = index,
            Kind = "length-prefix",
            Handshake = handshake,
            Bytes = bytes,
            Cuts = Cuts(random, bytes.Length),
            ExpectedAnswers = refused ? 1 : null,
            ExpectedError = refused ? ObjectStoreErrorCode.ProtocolError : null,
        };
    }

    private static FuzzCase BadHandshake(Random random, long index)
    {
        var hello = Hello();
        var helloFields = hello.AsSpan(Wire.HeaderLength + 1).ToArray();
        (string Kind, byte[] Bytes, bool Handshake, ObjectStoreErrorCode? Error) chosen = random.Next(9) switch
        {
            0 => ("wrong-magic", Hello(magic: Wire.Magic ^ (uint)random.Next(1, int.MaxValue)), false, ObjectStoreErrorCode.ProtocolError),
            1 => ("wrong-version", Hello(version: (ushort)random.Next(2, 65_536)), false, ObjectStoreErrorCode.VersionMismatch),
            2 => ("wrong-version-no-name", RawFrame((byte)MessageType.Hello, helloFields.AsSpan(0, 6).ToArray().Also(f => f[4] = 0x09)),
                false, ObjectStoreErrorCode.VersionMismatch),
            3 => ("truncated-hello", RawFrame((byte)MessageType.Hello, helloFields.AsSpan(0, random.Next(0, helloFields.Length))),
                false, ObjectStoreErrorCode.ProtocolError),
            4 => ("hello-trailing-bytes", RawFrame((byte)MessageType.Hello, [.. helloFields, (byte)random.Next(256)]), false,
                ObjectStoreErrorCode.ProtocolError),
            5 => ("hello-twice", Hello(), true, ObjectStoreErrorCode.ProtocolError),
            6 => ("request-before-hello", RandomRequest(random).Frame, false, ObjectStoreErrorCode.ProtocolError),
            7 => ("hello-name-too-long", RawFrame((byte)MessageType.Hello, [.. helloFields.AsSpan(0, 6), 0xFF, 0xFF, 0x03, 0x41]), false,
                ObjectStoreErrorCode.ProtocolError),
            _ => ("nothing", [], false, null),
        };
        return new FuzzCase
        {
            Index = index, Kind = chosen.Kind, Handshake = chosen.Handshake, Bytes = chosen.Bytes, Cuts = Cuts(random, chosen.Bytes.Length),
            ExpectedAnswers = chosen.Error is null ? 0 : 1, ExpectedError = chosen.Error,
        };
    }

    private static FuzzCase UnknownType(Random random, long index)
    {
        byte type;
        do
        {
            type = (byte)random.Next(256);
        }
        while (type is >= (byte)MessageType.CreateBlobs and <= (byte)MessageType.Stat);

        var fields = new byte[random.Next(0, 32)];
        random.NextBytes(fields);
        var bytes = RawFrame(type, fields);
        return new FuzzCase
        {
            Index = index, Kind = "unknown-type", Handshake = true, Bytes = bytes, Cuts = Cuts(random, bytes.Length),
            ExpectedAnswers = 1, ExpectedError = ObjectStoreErrorCode.ProtocolError,
        };
    }

    /// <summary>One frame with a field no decoder may accept, after some valid requests that must be answered first.</summary>
    private static FuzzCase MalformedField(Random random, long index)
    {
        var (kind, frame) = random.Next(11) switch
        {
            9 => ("counts-claiming-the-frame", ClaimingCounts(random)),
            10 => ("ids-claiming-the-frame", Padded(Encode(w =>
            {
                w.Begin(MessageType.Release);
                w.WriteCount(random.Next(64 * 1024, 256 * 1024));
            }), random.Next(64 * 1024, 256 * 1024))),
            0 => ("meta-too-deep", Encode(w =>
            {
                w.Begin(MessageType.CreateObject);
                WriteNestedMeta(w, random.Next(ObjectMeta.MaxDepth + 2, 4 * ObjectMeta.MaxDepth));
                w.WriteBool(false);
                w.WriteBool(false);
                w.WriteInt64(0);
            })),
            1 => ("count-beyond-frame", RawFrame((byte)MessageType.CreateBlobs, [.. Leb128((uint)random.Next(2, int.MaxValue)), 1, 0, 0, 0, 0, 0, 0, 0])),
            2 => ("count-six-bytes", RawFrame((byte)MessageType.Release, [0x80, 0x80, 0x80, 0x80, 0x80, 0x00])),
            3 => ("count-beyond-32-bits", RawFrame((byte)MessageType.Release, [0x81, 0x80, 0x80, 0x80, (byte)random.Next(0x10, 0x80)])),
            4 => ("invalid-utf8", Encode(w =>
            {
                w.Begin(MessageType.DropName);
                w.WriteCount(3);
                w.WriteByte(0x61);
                w.WriteByte(0xC3);
                w.WriteByte(0x28);
                w.WriteUInt64(0);
            })),
            5 => ("bool-not-0-or-1", Encode(w =>
            {
                new GetRequest(ObjectRef.ById(new ObjectId(1)), false).Write(w);
            }).Also(f => f[^1] = (byte)random.Next(2, 256))),
            6 => ("trailing-bytes", Encode(w =>
            {
                w.Begin(MessageType.Stats);
                w.WriteByte((byte)random.Next(256));
            })),
            7 => ("size-beyond-2^63", Encode(w =>
            {
                w.Begin(MessageType.CreateBlobs);
                w.WriteCount(1);
                w.WriteUInt64((1UL << 63) + (ulong)random.Next());
                w.WriteInt64(0);
            })),
            _ => ("duplicate-member", Encode(w =>
            {
                w.Begin(MessageType.CreateObject);
                WriteMetaHeader(w, "fz::Twice", members: 2);
                for (var i = 0; i < 2; i++)
                {
                    w.WriteString("same");
                    WriteMetaHeader(w, ObjectMeta.BlobTypeName, members: 0);
                }

                w.WriteBool(false);
                w.WriteBool(false);
                w.WriteInt64(0);
            })),
        };
        var frames = new List<byte[]>();
        var answers = 0;
        for (var i = random.Next(0, 3); i > 0; i--)
        {
            var (valid, answered) = RandomRequest(random);
            frames.Add(valid);
            answers += answered ? 1 : 0;
        }

        frames.Add(frame);
        var bytes = Concat(frames);
        return new FuzzCase
        {
            Index = index, Kind = kind, Handshake = true, Bytes = bytes, Cuts = Cuts(random, bytes.Length),
            ExpectedAnswers = answers + 1, ExpectedError = ObjectStoreErrorCode.ProtocolError,
        };
    }

    /// <summary>Many small valid requests in pieces of a few bytes: the daemon must put frames together across reads.</summary>
    private static FuzzCase ManySmallFrames(Random random, long index)
    {
        var frames = new List<byte[]>();
        var answers = 0;
        for (var i = random.Next(10, 120); i > 0; i--)
        {
            var (frame, answered) = random.Next(3) switch
            {
                0 => (Encode(w => w.Begin(MessageType.Stats)), true),
                1 => (Encode(w => new IdListMessage(MessageType.Release, [RandomId(random)]).Write(w)), false),
                _ => (Encode(w => new GetRequest(RandomRef(random), false).Write(w)), true),
            };
            frames.Add(frame);
            answers += answered ? 1 : 0;
        }

        var bytes = Concat(frames);
        var cuts = new List<int>();
        for (var at = random.Next(1, 8); at < bytes.Length; at += random.Next(1, 40))
        {
            cuts.Add(at);
        }

        var abort = random.Next(5) == 0;
        return new FuzzCase
        {
            Index = index,
            Kind = abort ? "many-frames-abort" : "many-frames",
            Handshake = true,
            Bytes = bytes,
            Cuts = cuts,
            Ending = abort ? CaseEnding.Abort : CaseEnding.HalfClose,
            ExpectedAnswers = abort ? null : answers,
        };
    }

    /// <summary>A valid request with random values, and whether the daemon answers it.</summary>
    private static (byte[] Frame, bool Answered) RandomRequest(Random random) => random.Next(13) switch
    {
        0 => (Encode(w => new CreateBlobsRequest(RandomSizes(random), random.Next(3) == 0 ? random.Next(1, 65_536) : 0).Write(w)), true),
        1 => (Encode(w => new CreateObjectRequest(RandomMeta(random, 0), random.Next(2) == 0 ? RandomName(random) : null,
            Persist: random.Next(8) == 0, SpareSize: random.Next(4) == 0 ? random.Next(0, 65_536) : 0).Write(w)), true),
        2 => (Encode(w => new GetRequest(RandomRef(random), random.Next(2) == 0).Write(w)), true),
        3 => (Encode(w => new IdListMessage(MessageType.Release, RandomIds(random)).Write(w)), false),
        4 => (Encode(w => new IdListMessage(MessageType.DropBlobs, RandomIds(random)).Write(w)), false),
        5 => (Encode(w => new TargetRequest(MessageType.Delete, RandomRef(random)).Write(w)), true),
        6 => (Encode(w => new TargetRequest(MessageType.Persist, RandomRef(random)).Write(w)), true),
        7 => (Encode(w => new NameRequest(MessageType.PutName, RandomName(random), RandomId(random)).Write(w)), true),
        8 => (Encode(w => new NameRequest(MessageType.DropName, RandomName(random), ObjectId.None).Write(w)), true),
        9 => (Encode(w => new ListRequest(random.Next(2) == 0 ? "" : RandomName(random), random.Next(0, 1000)).Write(w)), true),
        10 => (Encode(w => new TargetRequest(MessageType.Stat, RandomRef(random)).Write(w)), true),
        _ => (Encode(w => w.Begin(MessageType.Stats)), true),
    };

    private static long[] RandomSizes(Random random)
    {
        var sizes = new long[random.Next(0, 4)];
        for (var i = 0; i < sizes.Length; i++)
        {
            sizes[i] = random.Next(10) switch
            {
                0 => 0,
                1 => random.NextInt64(1L << 40, long.MaxValue),
                2 => random.Next(1, 1024 * 1024),
                _ => random.Next(1, 4096),
            };
        }

        return sizes;
    }

    private static ObjectId RandomId(Random random) => random.Next(4) switch
    {
        0 => ObjectId.None,
        1 => new ObjectId((ulong)random.NextInt64() | (1UL << 63)),
        _ => new ObjectId((ulong)random.NextInt64()),
    };

    private static ObjectId[] RandomIds(Random random)
    {
        var ids = new ObjectId[random.Next(0, 5)];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = RandomId(random);
        }

        return ids;
    }

    private static ObjectRef RandomRef(Random random) =>
        random.Next(2) == 0 ? ObjectRef.ById(RandomId(random)) : ObjectRef.ByName(RandomName(random));

    private static string RandomName(Random random) =>
        random.Next(3) == 0 ? Names[random.Next(Names.Length)] : $"n{random.Next(1000)}";

    /// <summary>A metadata tree of random shape whose blob leaves name blobs that do not exist.</summary>
    private static ObjectMeta RandomMeta(Random random, int depth)
    {
        if (depth > 0 && random.Next(3) == 0)
        {
            return ObjectMeta.Blob(RandomId(random), random.NextInt64(0, 1 << 20));
        }

        var members = new Dictionary<string, ObjectMeta>(StringComparer.Ordinal);
        for (var i = depth < 3 ? random.Next(0, 4) : 0; i > 0; i--)
        {
            members[$"m{i}"] = RandomMeta(random, depth + 1);
        }

        return new ObjectMeta
        {
            Id = random.Next(4) == 0 ? RandomId(random) : ObjectId.None,
            TypeName = random.Next(10) switch
            {
                0 => ObjectMeta.BlobTypeName,
                1 => "",
                2 => " ",
                _ => $"fz::Type{random.Next(5)}",
            },
            NBytes = random.NextInt64(0, long.MaxValue),
            Instance = random.Next(0, 65_536),
            IsPersisted = random.Next(2) == 0,
            Labels = RandomPairs(random),
            Fields = RandomPairs(random),
            Members = members,
        };
    }

    /// <summary>Metadata naming every created blob (by placeholder), some nested, some twice, with valid or invalid lengths.</summary>
    private static ObjectMeta SealingMeta(Random random, long[] sizes)
    {
        var members = new Dictionary<string, ObjectMeta>(StringComparer.Ordinal);
        for (var i = 0; i < sizes.Length; i++)
        {
            var nbytes = random.Next(20) switch
            {
                0 => 0,
                1 => sizes[i] + random.Next(1, 4096),
                2 => sizes[i],
                _ => random.NextInt64(1, sizes[i] + 1),
            };
            ObjectMeta member = ObjectMeta.Blob(new ObjectId(Placeholder(i)), nbytes);
            for (var level = random.Next(0, 4); level > 0; level--)
            {
                member = new ObjectMeta
                {
                    TypeName = "fz::Part",
                    Labels = RandomPairs(random),
                    Members = new Dictionary<string, ObjectMeta>(StringComparer.Ordinal) { ["data"] = member },
                };
            }

            members[$"part{i}"] = member;
            if (random.Next(6) == 0)
            {
                members[$"again{i}"] = ObjectMeta.Blob(new ObjectId(Placeholder(i)), nbytes);
            }
        }

        return new ObjectMeta { TypeName = "fz::Record", Labels = RandomPairs(random), Fields = RandomPairs(random), Members = members };
    }

    private static Dictionary<string, string> RandomPairs(Random random)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = random.Next(0, 3); i > 0; i--)
        {
            pairs[$"k{i}"] = random.Next(4) == 0 ? Names[random.Next(Names.Length)] : $"v{random.Next(100)}";
        }

        return pairs;
    }

    /// <summary>
    /// A CreateObject of up to 256 KiB whose metadata nests as deep as allowed, each level's member count claiming
    /// nearly all the bytes left: a daemon that sized its dictionaries by the counts would reserve the frame's
    /// length many times over at every level.
    /// </summary>
    private static byte[] ClaimingCounts(Random random)
    {
        var length = random.Next(64 * 1024, 256 * 1024);
        var frame = Encode(w =>
        {
            w.Begin(MessageType.CreateObject);
            for (var level = 0; level < ObjectMeta.MaxDepth; level++)
            {
                w.WriteUInt64(0);
                w.WriteString("");
                w.WriteInt64(0);
                w.WriteUInt16(0);
                w.WriteBool(false);
                w.WriteCount(0);
                w.WriteCount(0);
                w.WriteCount(length - ((level + 1) * 32));
                w.WriteString("");
            }
        });
        return Padded(frame, length);
    }

    /// <summary>The frame with zeros after its fields, and a header that counts them, up to a body of <paramref name="length"/> bytes.</summary>
    private static byte[] Padded(byte[] frame, int length)
    {
        var padded = new byte[Wire.HeaderLength + Math.Max(length, frame.Length - Wire.HeaderLength)];
        frame.CopyTo(padded, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(padded, (ulong)(padded.Length - Wire.HeaderLength));
        return padded;
    }

    /// <summary>Metadata nested <paramref name="levels"/> deep, written by hand: the codec refuses to write it.</summary>
    private static void WriteNestedMeta(FrameWriter writer, int levels)
    {
        for (var level = 0; level < levels; level++)
        {
            var last = level == levels - 1;
            WriteMetaHeader(writer, last ? ObjectMeta.BlobTypeName : "fz::Nest", members: last ? 0 : 1);
            if (!last)
            {
                writer.WriteString("inner");
            }
        }
    }

    /// <summary>The fields of one metadata node up to its member count, with no labels or fields.</summary>
    private static void WriteMetaHeader(FrameWriter writer, string typeName, int members)
    {
        writer.WriteUInt64(0);
        writer.WriteString(typeName);
        writer.WriteInt64(1);
        writer.WriteUInt16(0);
        writer.WriteBool(false);
        writer.WriteCount(0);
        writer.WriteCount(0);
        writer.WriteCount(members);
    }

    private static byte[] Leb128(uint value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    /// <summary>Changes the list of frames: lengths, types, cuts, splices; returns what it did.</summary>
    private string MutateFrames(Random random, List<byte[]> frames, int firstMutable)
    {
        if (frames.Count <= firstMutable)
        {
            return "none";
        }

        var at = random.Next(firstMutable, frames.Count);
        var frame = frames[at];
        if (frame.Length <= Wire.HeaderLength)
        {
            // Already cut to less than a header: nothing of it to change.
            frames.Insert(at, RandomRequest(random).Frame);
            return "insert";
        }

        switch (random.Next(9))
        {
            case 0:
            {
                var length = random.Next(3) switch
                {
                    0 => InterestingLengths[random.Next(InterestingLengths.Length)],
                    1 => (ulong)maxFrameLength + (ulong)random.Next(-1, 2),
                    _ => (ulong)Math.Max(0, frame.Length - Wire.HeaderLength + random.Next(-4, 5)),
                };
                frames[at] = [.. frame];
                BinaryPrimitives.WriteUInt64LittleEndian(frames[at], length);
                return "length";
            }

            case 1:
                frames[at] = [.. frame];
                frames[at][Wire.HeaderLength] = (byte)random.Next(256);
                return "type";

            case 2:
            {
                // Cut the frame but keep its header: the daemon waits for bytes that belong to the next frame.
                frames[at] = frame[..random.Next(0, frame.Length)];
                return "cut";
            }

            case 3:
            {
                // Cut the body and fix the header: fields end early.
                var body = random.Next(1, frame.Length - Wire.HeaderLength + 1);
                frames[at] = RawFrame(frame[Wire.HeaderLength], frame.AsSpan(Wire.HeaderLength + 1, body - 1));
                return "shorten";
            }

            case 4:
            {
                var extra = new byte[random.Next(1, 16)];
                random.NextBytes(extra);
                frames[at] = RawFrame(frame[Wire.HeaderLength], [.. frame.AsSpan(Wire.HeaderLength + 1), .. extra]);
                return "extend";
            }

            case 5:
            {
                // The start of one frame on the end of another: a valid header over fields of another message.
                var other = random.Next(2) == 0 ? frames[random.Next(firstMutable, frames.Count)] : RandomRequest(random).Frame;
                var head = random.Next(Wire.HeaderLength + 1, frame.Length + 1);
                var tail = random.Next(Math.Min(Wire.HeaderLength, other.Length), other.Length + 1);
                frames[at] = [.. frame.AsSpan(0, head), .. other.AsSpan(tail)];
                if (random.Next(2) == 0)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(frames[at], (ulong)(frames[at].Length - Wire.HeaderLength));
                }

                return "splice";
            }

            case 6:
                frames.Insert(at, frame);
                return "duplicate";

            case 7:
                if (frames.Count - firstMutable > 1)
                {
                    var other = random.Next(firstMutable, frames.Count);
                    (frames[at], frames[other]) = (frames[other], frames[at]);
                    return "swap";
                }

                frames.Insert(at, RandomRequest(random).Frame);
                return "insert";

            default:
            {
                // Overwrite a field in the body with a value that is often on a boundary.
                frames[at] = [.. frame];
                var body = frames[at].AsSpan(Wire.HeaderLength);
                var width = FieldWidths[random.Next(FieldWidths.Length)];
                if (body.Length > width)
                {
                    var offset = random.Next(1, body.Length - width + 1);
                    WriteInteresting(random, body.Slice(offset, width));
                }

                return "field";
            }
        }
    }

    /// <summary>Changes the byte stream: flips, overwrites, inserts, deletes, truncates.</summary>
    private static string MutateBytes(Random random, ref byte[] bytes, int protectedPrefix)
    {
        if (bytes.Length <= protectedPrefix)
        {
            return "none";
        }

        var at = random.Next(protectedPrefix, bytes.Length);
        switch (random.Next(6))
        {
            case 0:
                bytes[at] ^= (byte)(1 << random.Next(8));
                return "flip";
            case 1:
                bytes[at] = InterestingBytes[random.Next(InterestingBytes.Length)];
                return "set";
            case 2:
            {
                var inserted = new byte[random.Next(1, 16)];
                random.NextBytes(inserted);
                bytes = [.. bytes.AsSpan(0, at), .. inserted, .. bytes.AsSpan(at)];
                return "insert";
            }

            case 3:
            {
                var count = random.Next(1, Math.Min(16, bytes.Length - at) + 1);
                bytes = [.. bytes.AsSpan(0, at), .. bytes.AsSpan(at + count)];
                return "delete";
            }

            case 4:
                bytes = bytes[..at];
                return "truncate";
            default:
            {
                var width = Math.Min(FieldWidths[random.Next(1, FieldWidths.Length)], bytes.Length - at);
                WriteInteresting(random, bytes.AsSpan(at, width));
                return "overwrite";
            }
        }
    }

    private static void WriteInteresting(Random random, Span<byte> field)
    {
        ulong value = random.Next(6) switch
        {
            0 => 0,
            1 => ulong.MaxValue,
            2 => 1UL << ((field.Length * 8) - 1),
            3 => (1UL << ((field.Length * 8) - 1)) - 1,
            4 => (ulong)random.Next(1, 256),
            _ => (ulong)random.NextInt64(),
        };
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        bytes[..field.Length].CopyTo(field);
    }

    private static int[] Cuts(Random random, int length)
    {
        if (length < 2)
        {
            return [];
        }

        var cuts = new SortedSet<int>();
        for (var i = random.Next(4) == 0 ? random.Next(1, 6) : 0; i > 0; i--)
        {
            cuts.Add(random.Next(1, length));
        }

        return [.. cuts];
    }

    private static CaseEnding Ending(Random random) => random.Next(5) == 0 ? CaseEnding.Abort : CaseEnding.HalfClose;

    private static byte[] Concat(List<byte[]> frames)
    {
        var bytes = new byte[frames.Sum(f => f.Length)];
        var at = 0;
        foreach (var frame in frames)
        {
            frame.CopyTo(bytes, at);
            at += frame.Length;
        }

        return bytes;
    }
}

internal static class ByteArrayExtensions
{
    /// <summary>Changes an array in place and returns it, so that a case can be written as one expression.</summary>
    public static byte[] Also(this byte[] bytes, Action<byte[]> change)
    {
        change(bytes);
        return bytes;
    }
}
