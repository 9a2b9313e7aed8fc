using System.Buffers.Binary;
using System.Globalization;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Fuzz;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests.Protocol;

/// <summary>One daemon for the hostile-client tests, which run one after another and leave it as they found it.</summary>
public sealed class HostileDaemon : IAsyncLifetime
{
    private ObjectStoreDaemon _daemon = null!;

    public string SocketPath => _daemon.SocketPath;

    public int ProcessId => _daemon.Process.Id;

    public bool HasExited => _daemon.Process.HasExited;

    public string Output => _daemon.Process.Output;

    public Task<ObjectStoreClient> ConnectAsync(string name, CancellationToken cancellationToken) => _daemon.ConnectAsync(cancellationToken, name);

    public async ValueTask InitializeAsync() =>
        _daemon = await ObjectStoreDaemon.StartAsync(TestContext.Current.CancellationToken, size: "256Mi");

    public async ValueTask DisposeAsync() => await _daemon.DisposeAsync();
}

/// <summary>
/// Clients that break the protocol on purpose, byte by byte, over raw sockets. Each gets an error frame that says
/// what was wrong and loses its connection; the daemon lives, and every other client goes on as if nothing happened.
/// </summary>
public sealed class HostileClientTests(HostileDaemon fixture) : IClassFixture<HostileDaemon>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly HostileDaemon _daemon = fixture;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_Hello_trickled_a_byte_a_second_is_cut_off_ten_seconds_after_connecting()
    {
        using var connection = await ConnectAsync();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var frame = new byte[Wire.HeaderLength + 100];
        BinaryPrimitives.WriteUInt64LittleEndian(frame, 100);

        // Each byte would start a per-receive timeout afresh; only a deadline for the whole handshake ends this.
        var closed = false;
        for (var i = 0; i < 30 && !closed; i++)
        {
            try
            {
                await connection.SendAsync(frame.AsMemory(i, 1), Cancellation);
                await Task.Delay(TimeSpan.FromSeconds(1), Cancellation);
                closed = connection.Socket.Poll(0, System.Net.Sockets.SelectMode.SelectRead) && connection.Socket.Available == 0;
            }
            catch (System.Net.Sockets.SocketException)
            {
                closed = true;
            }
        }

        Assert.True(closed, "the connection was still open after 30 s of a byte a second");
        Assert.InRange(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, 9, 20);
        await AssertServingAsync();
    }

    [Fact]
    public async Task Random_bytes_before_Hello_get_one_protocol_error_each()
    {
        var random = new Random(1);
        var garbage = Enumerable.Range(0, 100).Select(_ => new byte[random.Next(1, 4096)]).ToArray();
        foreach (var bytes in garbage)
        {
            random.NextBytes(bytes);
        }

        await Parallel.ForEachAsync(garbage, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Cancellation }, async (bytes, ct) =>
        {
            using var connection = await ConnectAsync();
            await connection.SendAsync(bytes, ct);
            connection.ShutdownSend();

            var answer = Assert.Single(await connection.ReadUntilClosedAsync(Patience, ct));
            Assert.Equal(ObjectStoreErrorCode.ProtocolError, answer.Code);
        });

        await AssertServingAsync();
    }

    [Fact]
    public async Task Garbage_frames_after_a_valid_Hello_end_in_a_protocol_error_and_a_closed_connection()
    {
        var random = new Random(2);
        for (var i = 0; i < 50; i++)
        {
            using var connection = await HelloAsync();
            var fields = new byte[random.Next(0, 200)];
            random.NextBytes(fields);

            // A known request's type with garbage fields, or a type no daemon serves.
            var type = i % 2 == 0 ? (byte)random.Next(2, 13) : (byte)random.Next(13, 256);
            // In one send: the daemon may close as soon as it has read the first frame.
            byte[] frames = [.. CaseGenerator.RawFrame(type, fields), .. CaseGenerator.Encode(w => w.Begin(MessageType.Stats))];
            await connection.SendAsync(frames, Cancellation);
            connection.ShutdownSend();

            var answers = await connection.ReadUntilClosedAsync(Patience, Cancellation);
            Assert.NotEmpty(answers);
            Assert.DoesNotContain(answers, a => a.Code == ObjectStoreErrorCode.Internal);
            var fatal = answers.FindIndex(a => a.Code == ObjectStoreErrorCode.ProtocolError);
            Assert.True(fatal < 0 || fatal == answers.Count - 1, $"answers after a protocol error: {string.Join(", ", answers)}");
            if (type >= 13)
            {
                Assert.Equal($"Message type 0x{type:x2} is not a request this daemon serves.", Assert.Single(answers).Error!.Message);
            }
        }

        await AssertServingAsync();
    }

    [Fact]
    public async Task A_frame_cut_off_by_a_close_leaves_nothing_behind()
    {
        await using var observer = await _daemon.ConnectAsync("observer", Cancellation);
        var before = await IdleAsync(observer);
        var meta = new ObjectMeta { TypeName = "fluid::Buffer", Members = new Dictionary<string, ObjectMeta> { ["buffer"] = ObjectMeta.Blob(new ObjectId(CaseGenerator.Placeholder(0)), 100) } };

        for (var (cut, i) = (1, 0); cut < 120; cut += 7, i++)
        {
            using var connection = await HelloAsync();
            await connection.SendAsync(CaseGenerator.Encode(w => new CreateBlobsRequest([64 * 1024], 0).Write(w)), Cancellation);
            var blob = Assert.IsType<BlobsResponse>((await connection.ReadAsync(Patience, Cancellation))!.Message).Blobs[0];
            var frame = CaseGenerator.Encode(w => new CreateObjectRequest(meta, "cut", false, 0).Write(w));
            BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(frame.AsSpan().IndexOf(BitConverter.GetBytes(CaseGenerator.Placeholder(0)))), blob.Id.Value);
            await connection.SendAsync(frame.AsMemory(0, Math.Min(cut, frame.Length - 1)), Cancellation);

            if (i % 2 == 0)
            {
                // Half-closed: the daemon sees the frame end early and says so.
                connection.ShutdownSend();
                var answer = Assert.Single(await connection.ReadUntilClosedAsync(Patience, Cancellation));
                Assert.Equal(ObjectStoreErrorCode.ProtocolError, answer.Code);
                Assert.StartsWith("The connection closed in the middle of a frame", answer.Error!.Message, StringComparison.Ordinal);
            }
        }

        // The blobs of the broken connections are freed, and no object came of the cut frames.
        var after = await IdleAsync(observer);
        Assert.Equal((before.Used, before.Objects, before.Blobs, 0), (after.Used, after.Objects, after.Blobs, after.UnsealedBlobs));
        await AssertServingAsync();
    }

    [Theory]
    [InlineData((ulong)int.MaxValue)]
    [InlineData(1UL << 32)]
    [InlineData((1UL << 63) - 1)]
    [InlineData(1UL << 63)]
    [InlineData((1UL << 63) + 1)]
    [InlineData(ulong.MaxValue - 1)]
    [InlineData(ulong.MaxValue)]
    public async Task Length_prefixes_near_2_to_the_63_and_2_to_the_64_are_refused_before_and_after_Hello(ulong length)
    {
        foreach (var hello in new[] { false, true })
        {
            using var connection = hello ? await HelloAsync() : await ConnectAsync();
            await connection.SendAsync(Header(length), Cancellation);

            var error = await ExpectFinalErrorAsync(connection, ObjectStoreErrorCode.ProtocolError);

            var limit = hello ? Wire.DefaultMaxFrameLength : Wire.MaxHelloLength;
            Assert.StartsWith($"A frame of {length} bytes is larger than the limit of {limit} bytes", error.Message, StringComparison.Ordinal);
        }

        await AssertServingAsync();
    }

    [Fact]
    public async Task A_frame_of_length_zero_is_a_protocol_error()
    {
        foreach (var hello in new[] { false, true })
        {
            using var connection = hello ? await HelloAsync() : await ConnectAsync();
            await connection.SendAsync(Header(0), Cancellation);

            var error = await ExpectFinalErrorAsync(connection, ObjectStoreErrorCode.ProtocolError);

            Assert.Equal("A frame of length 0 has no message type.", error.Message);
        }

        await AssertServingAsync();
    }

    [Fact]
    public async Task An_oversized_frame_gets_a_ProtocolError_frame_before_its_connection_closes()
    {
        using var connection = await HelloAsync();

        // The header, then the start of the body, as a client that does not know the limit would send it.
        await connection.SendAsync(Header(Wire.DefaultMaxFrameLength + 1UL), Cancellation);
        try
        {
            await connection.SendAsync(new byte[256 * 1024], Cancellation);
        }
        catch (System.Net.Sockets.SocketException)
        {
            // The daemon closed first: it judged by the header alone.
        }

        var answer = await connection.ReadAsync(Patience, Cancellation);

        Assert.NotNull(answer);
        Assert.Equal(ObjectStoreErrorCode.ProtocolError, answer.Code);
        Assert.Equal(
            $"A frame of {Wire.DefaultMaxFrameLength + 1} bytes is larger than the limit of {Wire.DefaultMaxFrameLength} bytes; payloads go through shared memory, not the socket.",
            answer.Error!.Message);
        Assert.Null(await connection.ReadAsync(Patience, Cancellation));
        await AssertServingAsync();
    }

    [Fact]
    public async Task A_wrong_magic_is_told_that_this_socket_speaks_another_protocol()
    {
        using var connection = await ConnectAsync();
        await connection.SendAsync(CaseGenerator.Hello(magic: 0x5054_5448), Cancellation);

        var error = await ExpectFinalErrorAsync(connection, ObjectStoreErrorCode.ProtocolError);

        Assert.Equal("This is the object store's socket, and the client does not speak its protocol.", error.Message);
        await AssertServingAsync();
    }

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)1)]
    [InlineData(ushort.MaxValue)]
    public async Task A_wrong_protocol_version_gets_a_VersionMismatch_error_frame(ushort version)
    {
        using var connection = await ConnectAsync();
        await connection.SendAsync(CaseGenerator.Hello(version: version), Cancellation);

        var error = await ExpectFinalErrorAsync(connection, ObjectStoreErrorCode.VersionMismatch);

        Assert.Equal(
            $"The client speaks protocol version {version}, this daemon {Wire.ProtocolVersion}; use a client of the daemon's release.", error.Message);
        await AssertServingAsync();
    }

    [Fact]
    public async Task A_Hello_of_only_magic_and_another_version_still_gets_a_VersionMismatch()
    {
        using var connection = await ConnectAsync();

        // A client of another version may lay out the rest of its Hello differently, or not at all.
        byte[] fields = [.. BitConverter.GetBytes(Wire.Magic), .. BitConverter.GetBytes((ushort)(Wire.ProtocolVersion + 1))];
        await connection.SendAsync(CaseGenerator.RawFrame((byte)MessageType.Hello, fields), Cancellation);

        var error = await ExpectFinalErrorAsync(connection, ObjectStoreErrorCode.VersionMismatch);

        Assert.Contains($"protocol version {Wire.ProtocolVersion + 1}", error.Message, StringComparison.Ordinal);
        await AssertServingAsync();
    }

    [Theory]
    [InlineData((byte)0x00)]
    [InlineData((byte)0x01)]
    [InlineData((byte)0x0E)]
    [InlineData((byte)0x7F)]
    [InlineData((byte)0x80)]
    [InlineData((byte)0x81)]
    [InlineData((byte)0x87)]
    [InlineData((byte)0x88)]
    [InlineData((byte)0xFF)]
    public async Task Unknown_message_types_and_answers_sent_as_requests_are_protocol_errors(byte type)
    {
        using var connection = await HelloAsync();
        await connection.SendAsync(CaseGenerator.RawFrame(type, [1, 2, 3]), Cancellation);

        var error = await ExpectFinalErrorAsync(connection, ObjectStoreErrorCode.ProtocolError);

        Assert.Equal($"Message type 0x{type:x2} is not a request this daemon serves.", error.Message);
        await AssertServingAsync();
    }

    [Fact]
    public async Task A_request_before_Hello_is_refused()
    {
        using var connection = await ConnectAsync();
        await connection.SendAsync(CaseGenerator.Encode(w => w.Begin(MessageType.Stats)), Cancellation);

        var error = await ExpectFinalErrorAsync(connection, ObjectStoreErrorCode.ProtocolError);

        Assert.Equal("The first message on a connection must be Hello.", error.Message);
        await AssertServingAsync();
    }

    [Fact]
    public async Task A_client_cannot_shrink_grow_or_write_past_an_arena_and_every_other_client_keeps_its_bytes()
    {
        const int EPERM = 1;
        const int FSealWrite = 0x8;
        await using var good = await _daemon.ConnectAsync("good", Cancellation);
        var bytes = new byte[300 * 1024];
        new Random(16).NextBytes(bytes);
        await good.PutAsync(bytes, new PutOptions { Name = "kept-through-an-attack" }, Cancellation);
        using var hostile = await ConnectAsync();

        var (welcome, descriptors) = await hostile.HelloKeepingDescriptorsAsync(Patience, Cancellation);
        try
        {
            Assert.Equal(welcome.Arenas.Count, descriptors.Count);
            foreach (var (fd, arena) in descriptors.Zip(welcome.Arenas))
            {
                Assert.Equal(SharedMemoryFile.Seals, LibC.Fcntl(fd, LibC.FGetSeals, 0));
                AssertRefused(LibC.Ftruncate(fd, 0), "ftruncate to 0");
                AssertRefused(LibC.Ftruncate(fd, arena.Size + 4096), "ftruncate beyond the end");
                AssertRefused(LibC.Fallocate(fd, 0, arena.Size, 4096), "fallocate beyond the end");
                AssertRefused(LibC.Fcntl(fd, LibC.FAddSeals, FSealWrite), "a seal added");
                using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false);
                Assert.Throws<UnauthorizedAccessException>(() => RandomAccess.Write(handle, new byte[] { 1 }, arena.Size));
            }
        }
        finally
        {
            foreach (var fd in descriptors)
            {
                SharedMemoryFile.Adopt(fd, 1).Dispose();
            }
        }

        using var kept = await good.GetAsync("kept-through-an-attack", cancellationToken: Cancellation);
        Assert.True(kept.Blobs[0].Span.SequenceEqual(bytes));
        await good.DeleteAsync("kept-through-an-attack", Cancellation);
        await AssertServingAsync();

        static void AssertRefused(int result, string what)
        {
            Assert.True(result == -1, $"{what} was allowed on a sealed arena.");
            Assert.Equal(EPERM, System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        }
    }

    [Fact]
    public async Task Very_many_connections_opened_and_dropped_leave_the_daemon_serving_and_counting_right()
    {
        await using var observer = await _daemon.ConnectAsync("observer", Cancellation);
        await IdleAsync(observer);
        using var stopGood = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var good = GoodLoopAsync(stopGood.Token);

        for (var round = 0; round < 3; round++)
        {
            // Open many at once, some silent, some in the middle of a header or a frame, some shaken hands with;
            // then drop them all at once.
            var connections = await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
            {
                var connection = await ConnectAsync();
                switch (i % 4)
                {
                    case 1:
                        await connection.SendAsync(Header(100).AsMemory(0, 3), Cancellation);
                        break;
                    case 2:
                        await connection.HelloAsync(Patience, Cancellation);
                        break;
                    case 3:
                        await connection.HelloAsync(Patience, Cancellation);
                        await connection.SendAsync(CaseGenerator.Encode(w => new CreateBlobsRequest([4096], 0).Write(w)).AsMemory(0, 12), Cancellation);
                        break;
                }

                return connection;
            }));
            foreach (var connection in connections)
            {
                connection.Dispose();
            }
        }

        await stopGood.CancelAsync();
        Assert.True(await good > 0);
        await IdleAsync(observer);
        await AssertServingAsync();
    }

    [Fact]
    public async Task Idle_connections_that_announce_the_largest_frames_do_not_make_the_daemon_reserve_them()
    {
        var before = ResidentBytes();
        var connections = new List<RawConnection>();
        try
        {
            // 64 frames of 16 MiB announced: 1 GiB if the daemon sized its buffers by the headers.
            for (var i = 0; i < 64; i++)
            {
                var connection = await HelloAsync();
                connections.Add(connection);
                await connection.SendAsync(Header(Wire.DefaultMaxFrameLength), Cancellation);
                await connection.SendAsync(new byte[1000], Cancellation);
            }

            await AssertServingAsync();
            var growth = ResidentBytes() - before;
            Assert.True(growth < 256L * 1024 * 1024, $"The daemon grew by {ByteSize.Format(growth)} for frames that never came.");
        }
        finally
        {
            foreach (var connection in connections)
            {
                connection.Dispose();
            }
        }
    }

    [Fact]
    public async Task Member_counts_that_claim_the_whole_frame_at_every_level_are_refused_without_allocating_them()
    {
        var before = ResidentBytes();
        using var connection = await HelloAsync();

        // 1 MiB of CreateObject whose metadata nests 64 levels, each claiming as many members as there are bytes
        // left: read level by level, reserving what each count claims, this would cost 64 times the frame in dictionaries.
        const int length = 1024 * 1024;
        var writer = new FrameWriter().Begin(MessageType.CreateObject);
        for (var level = 0; level < ObjectMeta.MaxDepth; level++)
        {
            writer.WriteUInt64(0);
            writer.WriteString("");
            writer.WriteInt64(0);
            writer.WriteUInt16(0);
            writer.WriteBool(false);
            writer.WriteCount(0);
            writer.WriteCount(0);
            writer.WriteCount(length - ((level + 1) * 32));
            writer.WriteString("");
        }

        var frame = writer.End().ToArray();
        byte[] padded = [.. frame, .. new byte[length + Wire.HeaderLength - frame.Length]];
        BinaryPrimitives.WriteUInt64LittleEndian(padded, length);
        await connection.SendAsync(padded, Cancellation);

        var error = await ExpectFinalErrorAsync(connection, ObjectStoreErrorCode.ProtocolError);

        Assert.Contains("exceeds the", error.Message, StringComparison.Ordinal);
        var growth = ResidentBytes() - before;
        Assert.True(growth < 200L * 1024 * 1024, $"The daemon grew by {ByteSize.Format(growth)} for one frame of 1 MiB.");
        await AssertServingAsync();
    }

    [Fact]
    public async Task A_malformed_request_does_not_disturb_another_clients_work_in_flight()
    {
        await using var good = await _daemon.ConnectAsync("in-flight", Cancellation);
        var payload = new byte[1024 * 1024];
        new Random(3).NextBytes(payload);

        // The good client is halfway through a put: its blob is allocated and being written.
        using var writer = await good.CreateBlobAsync(payload.Length, Cancellation);
        payload.AsSpan(0, payload.Length / 2).CopyTo(writer.Span);
        using var held = await good.GetAsync(await good.PutAsync("held"u8.ToArray(), new PutOptions { Name = "held-by-good" }, Cancellation), cancellationToken: Cancellation);

        // Meanwhile, hostile clients: one that owns blobs too, then garbage of every kind.
        using (var owner = await HelloAsync())
        {
            await owner.SendAsync(CaseGenerator.Encode(w => new CreateBlobsRequest([4096, 8192], 0).Write(w)), Cancellation);
            Assert.IsType<BlobsResponse>((await owner.ReadAsync(Patience, Cancellation))!.Message);
            await owner.SendAsync(CaseGenerator.RawFrame((byte)MessageType.CreateObject, [0xFF, 0xFF]), Cancellation);
            await ExpectFinalErrorAsync(owner, ObjectStoreErrorCode.ProtocolError);
        }

        var generator = new CaseGenerator(seed: 4);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            HostileClient.RunAsync(_daemon.SocketPath, generator.Generate(i), Patience, Cancellation)));
        Assert.All(outcomes, outcome => Assert.True(outcome.Passed, outcome.Describe()));

        // The good client finishes its put and reads everything back, on the same connection.
        payload.AsSpan(payload.Length / 2).CopyTo(writer.Span[(payload.Length / 2)..]);
        var id = await writer.SealAsync(new PutOptions { Name = "in-flight" }, cancellationToken: Cancellation);
        using var got = await good.GetAsync("in-flight", cancellationToken: Cancellation);
        Assert.Equal(id, got.Id);
        Assert.True(got.Blobs[0].Span.SequenceEqual(payload));
        Assert.Equal("held"u8.ToArray(), held.Blobs[0].Span.ToArray());
        await good.DeleteAsync(id, Cancellation);
        await good.DeleteAsync("held-by-good", Cancellation);
        await AssertServingAsync();
    }

    [Fact]
    public async Task Hostile_and_good_clients_interleaved_concurrently_leave_every_good_check_passing()
    {
        using var stopGood = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var goodLoops = Enumerable.Range(0, 3).Select(_ => GoodLoopAsync(stopGood.Token)).ToArray();
        var generator = new CaseGenerator(seed: 5);

        await Parallel.ForAsync(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Cancellation }, async (i, ct) =>
        {
            var outcome = await HostileClient.RunAsync(_daemon.SocketPath, generator.Generate(i), Patience, ct);
            Assert.True(outcome.Passed, outcome.Describe());
        });

        await stopGood.CancelAsync();
        Assert.All(await Task.WhenAll(goodLoops), checks => Assert.True(checks > 0));
        await AssertServingAsync();
    }

    private static byte[] Header(ulong length)
    {
        var header = new byte[Wire.HeaderLength];
        BinaryPrimitives.WriteUInt64LittleEndian(header, length);
        return header;
    }

    private static async Task<ErrorResponse> ExpectFinalErrorAsync(RawConnection connection, ObjectStoreErrorCode code)
    {
        var answer = await connection.ReadAsync(Patience, Cancellation);
        Assert.NotNull(answer);
        Assert.Equal(code, answer.Code);

        // The error is the last word: the daemon closes the connection after it.
        Assert.Null(await connection.ReadAsync(Patience, Cancellation));
        return answer.Error!;
    }

    /// <summary>Waits until only the observer is connected and nothing is being written, and returns the stats then.</summary>
    private static Task<StoreStats> IdleAsync(ObjectStoreClient observer) =>
        Eventually.ReturnsAsync(() => observer.GetStatsAsync(Cancellation), s => s.Connections == 1 && s.UnsealedBlobs == 0, Patience,
            "only the observer connected, and no blob being written", Cancellation);

    private Task<RawConnection> ConnectAsync() => RawConnection.ConnectAsync(_daemon.SocketPath, Cancellation);

    private async Task<RawConnection> HelloAsync()
    {
        var connection = await ConnectAsync();
        await connection.HelloAsync(Patience, Cancellation);
        return connection;
    }

    /// <summary>The daemon runs, and a new client puts, gets and deletes as it should.</summary>
    private async Task AssertServingAsync()
    {
        Assert.False(_daemon.HasExited, $"The daemon exited:\n{_daemon.Output}");
        await using var client = await _daemon.ConnectAsync("check", Cancellation);
        await GoodClient.CheckAsync(client, new Random(6), Cancellation);
    }

    /// <summary>
    /// Good checks on one connection, at least one and until stopped; returns how many passed, and fails the test
    /// on the first that does not.
    /// </summary>
    private async Task<int> GoodLoopAsync(CancellationToken stop)
    {
        await using var client = await _daemon.ConnectAsync("good", Cancellation);
        var random = new Random(7);
        var checks = 0;
        do
        {
            await GoodClient.CheckAsync(client, random, Cancellation);
            checks++;
        }
        while (!stop.IsCancellationRequested);

        return checks;
    }

    /// <summary>The daemon's resident memory, from /proc.</summary>
    private long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{_daemon.ProcessId}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
