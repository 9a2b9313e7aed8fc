using System.Buffers.Binary;
using System.Net.Sockets;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests.Protocol;

/// <summary>
/// Frames off a real Unix socket: put together across reads, split apart when sent back to back, refused when wrong;
/// alike whether read asynchronously (the client) or as the daemon's event loops read (what has arrived, then whole frames).
/// </summary>
public sealed class FrameReaderTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly Socket _client;
    private readonly Socket _server;

    public FrameReaderTests()
    {
        var path = Path.Combine(_directory.Path, "pair.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        _client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _client.Connect(new UnixDomainSocketEndPoint(path));
        _server = listener.Accept();
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Frames_sent_a_byte_at_a_time_and_back_to_back_are_read_whole_and_apart(bool polled)
    {
        var frames = new[] { Frame(1, 2, 3), Frame(4), Frame([.. Enumerable.Range(0, 20_000).Select(i => (byte)i)]) };
        var bytes = frames.SelectMany(f => f).ToArray();
        var reader = new FrameReader(Wire.DefaultMaxFrameLength);

        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < 64; i++)
            {
                await _client.SendAsync(bytes.AsMemory(i, 1), SocketFlags.None, Cancellation);
                await Task.Delay(1, Cancellation);
            }

            await _client.SendAsync(bytes.AsMemory(64), SocketFlags.None, Cancellation);
            _client.Shutdown(SocketShutdown.Send);
        }, Cancellation);

        foreach (var frame in frames)
        {
            var body = await ReadAsync(reader, polled);
            Assert.Equal(frame[Wire.HeaderLength..], body!.Value.ToArray());
        }

        Assert.Null(await ReadAsync(reader, polled));
        await sending;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_frame_of_several_MiB_arrives_whole_and_a_small_one_after_it_too(bool polled)
    {
        var large = new byte[5 * 1024 * 1024];
        Random.Shared.NextBytes(large);
        var reader = new FrameReader(Wire.DefaultMaxFrameLength);

        var sending = _client.SendAsync(new[] { Frame(large), Frame(9) }.SelectMany(f => f).ToArray(), SocketFlags.None, Cancellation);

        Assert.True((await ReadAsync(reader, polled))!.Value.Span.SequenceEqual(large));
        Assert.Equal([9], (await ReadAsync(reader, polled))!.Value.ToArray());
        await sending;
    }

    [Theory]
    [InlineData(0UL, "A frame of length 0 has no message type.", false)]
    [InlineData(Wire.DefaultMaxFrameLength + 1UL, "A frame of 16777217 bytes is larger than the limit of 16777216 bytes", false)]
    [InlineData(1UL << 63, "A frame of 9223372036854775808 bytes is larger than the limit", false)]
    [InlineData(ulong.MaxValue, "A frame of 18446744073709551615 bytes is larger than the limit", false)]
    [InlineData(0UL, "A frame of length 0 has no message type.", true)]
    [InlineData(Wire.DefaultMaxFrameLength + 1UL, "A frame of 16777217 bytes is larger than the limit of 16777216 bytes", true)]
    [InlineData(1UL << 63, "A frame of 9223372036854775808 bytes is larger than the limit", true)]
    [InlineData(ulong.MaxValue, "A frame of 18446744073709551615 bytes is larger than the limit", true)]
    public async Task A_header_of_length_0_or_beyond_the_limit_is_refused_at_once(ulong length, string message, bool polled)
    {
        var header = new byte[Wire.HeaderLength];
        BinaryPrimitives.WriteUInt64LittleEndian(header, length);
        await _client.SendAsync(header, SocketFlags.None, Cancellation);

        var error = await Assert.ThrowsAsync<WireFormatException>(async () => await ReadAsync(new FrameReader(Wire.DefaultMaxFrameLength), polled));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_lower_limit_for_one_frame_refuses_what_the_usual_limit_would_take(bool polled)
    {
        await _client.SendAsync(Frame(new byte[Wire.MaxHelloLength + 1]), SocketFlags.None, Cancellation);
        var reader = new FrameReader(Wire.DefaultMaxFrameLength);

        var error = await Assert.ThrowsAsync<WireFormatException>(async () => await ReadAsync(reader, polled, Wire.MaxHelloLength));

        Assert.StartsWith($"A frame of {Wire.MaxHelloLength + 1} bytes is larger than the limit of {Wire.MaxHelloLength} bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3, false)]
    [InlineData(Wire.HeaderLength + 5, false)]
    [InlineData(3, true)]
    [InlineData(Wire.HeaderLength + 5, true)]
    public async Task A_frame_cut_off_by_the_end_of_the_stream_is_refused_with_what_arrived(int sent, bool polled)
    {
        await _client.SendAsync(Frame(new byte[99]).AsMemory(0, sent), SocketFlags.None, Cancellation);
        _client.Shutdown(SocketShutdown.Send);

        var error = await Assert.ThrowsAsync<WireFormatException>(async () => await ReadAsync(new FrameReader(Wire.DefaultMaxFrameLength), polled));

        Assert.Equal($"The connection closed in the middle of a frame ({sent} of {(sent < Wire.HeaderLength ? Wire.HeaderLength : Wire.HeaderLength + 99)} bytes).", error.Message);
    }

    /// <summary>
    /// One frame, read either way. The loop's way polls for input with a limit, so that a read that never ends fails
    /// the test instead of hanging it.
    /// </summary>
    private async Task<ReadOnlyMemory<byte>?> ReadAsync(FrameReader reader, bool polled, int limit = Wire.DefaultMaxFrameLength)
    {
        if (!polled)
        {
            return await reader.ReadAsync(_server, limit, Cancellation);
        }

        return await Task.Run(() =>
        {
            while (true)
            {
                if (reader.TryTake(limit) is { } body)
                {
                    return body;
                }

                Assert.True(_server.Poll(TimeSpan.FromSeconds(10), SelectMode.SelectRead), "No bytes arrived within 10 s.");
                if (!reader.ReceiveAvailable(_server, limit))
                {
                    return (ReadOnlyMemory<byte>?)null;
                }
            }
        }, Cancellation);
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        _directory.Dispose();
    }

    private static byte[] Frame(params byte[] body)
    {
        var frame = new byte[Wire.HeaderLength + body.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(frame, (ulong)body.Length);
        body.CopyTo(frame, Wire.HeaderLength);
        return frame;
    }
}
