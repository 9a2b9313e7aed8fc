using System.Buffers.Binary;
using System.Net.Sockets;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Fuzz;

/// <summary>
/// A client that writes the wire format by hand, so that it can send what no real client would: bytes of any
/// kind, frames cut anywhere. Reads the daemon's answers strictly: every answer must be a well-formed frame.
/// </summary>
public sealed class RawConnection : IDisposable
{
    private readonly FrameReader _reader = new(Wire.DefaultMaxFrameLength);

    private RawConnection(Socket socket)
    {
        Socket = socket;
    }

    public Socket Socket { get; }

    /// <summary>Connects, retrying while the daemon's backlog is full (a Unix socket says EAGAIN rather than queue more).</summary>
    public static async Task<RawConnection> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                return new RawConnection(socket);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.TryAgain && attempt < 200)
            {
                socket.Dispose();
                await Task.Delay(10, cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        await Socket.SendAsync(bytes, SocketFlags.None, cancellationToken);

    /// <summary>Shakes hands as a real client does; the arenas' descriptors that come with the Welcome are dropped by the kernel.</summary>
    public async Task<WelcomeResponse> HelloAsync(TimeSpan timeout, CancellationToken cancellationToken, string clientName = "raw")
    {
        await SendAsync(CaseGenerator.Hello(clientName), cancellationToken);
        var answer = await ReadAsync(timeout, cancellationToken)
            ?? throw new IOException("The daemon closed the connection instead of answering Hello.");
        return answer.Message as WelcomeResponse ?? throw new IOException($"The daemon answered Hello with {answer}.");
    }

    /// <summary>Shakes hands and keeps the arenas' descriptors that come with the Welcome, as a real client does; the caller closes them.</summary>
    public async Task<(WelcomeResponse Welcome, List<int> Descriptors)> HelloKeepingDescriptorsAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await SendAsync(CaseGenerator.Hello("raw"), cancellationToken);
        var descriptors = new List<int>();
        var buffer = new byte[64 * 1024];
        // The Welcome is small and sent in one message: one receive holds all of it.
        var received = await Task.Run(() => DescriptorPassing.Receive(Socket, buffer, descriptors, timeout), cancellationToken);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(buffer);
        if (received != Wire.HeaderLength + length)
        {
            throw new IOException($"The Welcome came in {received} bytes, not the {Wire.HeaderLength + length} its header announced.");
        }

        var answer = Answer.Parse(buffer.AsSpan(Wire.HeaderLength, length));
        return (answer.Message as WelcomeResponse ?? throw new IOException($"The daemon answered Hello with {answer}."), descriptors);
    }

    /// <summary>The next answer; null when the daemon closed the connection between frames.</summary>
    /// <exception cref="TimeoutException">Nothing came within <paramref name="timeout"/>.</exception>
    /// <exception cref="WireFormatException">The daemon sent a malformed frame, or closed in the middle of one.</exception>
    public async Task<Answer?> ReadAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            return await _reader.ReadAsync(Socket, limit.Token) is { } body ? Answer.Parse(body.Span) : null;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset)
        {
            // The daemon closed with bytes of ours unread: what it sent before is read first, so this is the end.
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The daemon sent nothing and kept the connection open for {timeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>Every answer until the daemon closes the connection.</summary>
    public async Task<List<Answer>> ReadUntilClosedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var answers = new List<Answer>();
        var deadline = DateTime.UtcNow + timeout;
        while (await ReadAsync(deadline - DateTime.UtcNow, cancellationToken) is { } answer)
        {
            answers.Add(answer);
        }

        return answers;
    }

    /// <summary>Tells the daemon that nothing more comes: it answers what it has, then sees the end of the stream.</summary>
    public void ShutdownSend() => Socket.Shutdown(SocketShutdown.Send);

    public void Dispose() => Socket.Dispose();
}

/// <summary>One answer of the daemon, decoded and checked to the last byte.</summary>
public sealed record Answer(MessageType Type, object Message)
{
    public ErrorResponse? Error => Message as ErrorResponse;

    public ObjectStoreErrorCode? Code => Error?.Code;

    /// <exception cref="WireFormatException">The body is not a well-formed answer.</exception>
    public static Answer Parse(ReadOnlySpan<byte> body)
    {
        var reader = new WireReader(body);
        var type = (MessageType)reader.ReadByte();
        object message = type switch
        {
            MessageType.Welcome => WelcomeResponse.Read(ref reader),
            MessageType.Blobs => BlobsResponse.Read(ref reader),
            MessageType.Created => CreatedResponse.Read(ref reader),
            MessageType.ObjectData => ObjectResponse.Read(ref reader),
            MessageType.Ok => type,
            MessageType.ObjectList => ObjectListResponse.Read(ref reader),
            MessageType.StatsReply => StoreStatsCodec.Read(ref reader),
            MessageType.ObjectInfo => ObjectInfo.Read(ref reader),
            MessageType.Error => ErrorResponse.Read(ref reader),
            _ => throw new WireFormatException($"The daemon sent a frame of type 0x{(byte)type:x2}, which is not an answer."),
        };
        reader.ExpectEnd();
        if (message is ErrorResponse { Code: < ObjectStoreErrorCode.ProtocolError or > ObjectStoreErrorCode.TooManyClients } unknown)
        {
            throw new WireFormatException($"The daemon sent an error with the unknown code {(ushort)unknown.Code}.");
        }

        return new Answer(type, message);
    }

    public override string ToString() => Error is { } error ? $"Error {error.Code}: {error.Message}" : Type.ToString();
}
