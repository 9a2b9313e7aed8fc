using System.Net.Sockets;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// The client's end of the Unix socket: one request at a time, each answered before the next is sent. Releases
/// and drops need no answer: they ride with the next request, in the same send, or go on their own
/// <see cref="NoticeDelay"/> after they were queued (or after the call then holding the connection ends).
/// </summary>
internal sealed class IpcChannel : IDisposable
{
    /// <summary>
    /// How long a notice waits for a request to ride with. A separate send would wake the daemon once more for each
    /// release; on a busy connection the next request comes within microseconds, and an idle client's memory comes
    /// back this much later.
    /// </summary>
    internal static readonly TimeSpan NoticeDelay = TimeSpan.FromMilliseconds(1);

    private readonly Socket _socket;
    private readonly FrameWriter _writer = new();
    private readonly FrameWriter _releaseWriter = new();
    private readonly FrameWriter _dropWriter = new();
    private readonly List<ArraySegment<byte>> _segments = [];
    private readonly FrameReader _reader;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly List<ObjectId> _pendingReleases = [];
    private readonly List<ObjectId> _pendingDrops = [];
    private readonly Timer _noticeTimer;
    private int _noticeTimerArmed;
    private volatile bool _broken;
    private volatile bool _disposed;

    private IpcChannel(Socket socket, int maxFrameLength)
    {
        _socket = socket;
        _reader = new FrameReader(maxFrameLength);
        // The timer would otherwise keep the connecting caller's context (its Activity, its AsyncLocals) for life.
        using (ExecutionContext.SuppressFlow())
        {
            _noticeTimer = new Timer(_ => SendNoticesWhenIdle());
        }
    }

    public delegate T Parser<out T>(ref WireReader reader);

    /// <summary>Connects and shakes hands: the answer brings the daemon's identity and one descriptor per arena.</summary>
    public static async Task<(IpcChannel Channel, WelcomeResponse Welcome, List<int> Descriptors)> ConnectAsync(
        string socketPath, string clientName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var descriptors = new List<int>();
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(timeout);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), connectTimeout.Token);

            var hello = new FrameWriter();
            new HelloRequest(Wire.Magic, Wire.ProtocolVersion, clientName, Environment.ProcessId).Write(hello);
            try
            {
                await socket.SendAsync(hello.End(), SocketFlags.None, connectTimeout.Token);
            }
            catch (SocketException)
            {
                // A daemon that refuses this client (its user, or its limit of clients) answers at once and closes,
                // so the Hello may find the connection closed; the daemon's reason is still there to read.
            }


            var body = ReceiveWelcome(socket, descriptors, timeout);
            var reader = new WireReader(body);
            var type = (MessageType)reader.ReadByte();
            if (type == MessageType.Error)
            {
                throw ErrorResponse.Read(ref reader).ToException();
            }

            if (type != MessageType.Welcome)
            {
                throw new ObjectStoreException(ObjectStoreErrorCode.ProtocolError, $"The daemon answered Hello with {type}, not Welcome.");
            }

            var welcome = WelcomeResponse.Read(ref reader);
            if (descriptors.Count != welcome.Arenas.Count)
            {
                throw new ObjectStoreException(ObjectStoreErrorCode.ProtocolError,
                    $"The daemon announced {welcome.Arenas.Count} arenas but passed {descriptors.Count} descriptors.");
            }

            return (new IpcChannel(socket, welcome.MaxFrameLength), welcome, descriptors);
        }
        catch (Exception ex)
        {
            socket.Dispose();
            foreach (var fd in descriptors)
            {
                SharedMemoryFile.Adopt(fd, 1).Dispose();
            }

            throw ex switch
            {
                ObjectStoreException => ex,
                SocketException or OperationCanceledException or IOException or TimeoutException => new ObjectStoreException(
                    ObjectStoreErrorCode.Unavailable,
                    $"Cannot reach the object store at {socketPath}: {Reason(socketPath, ex)}. Is the daemon running on this node? " +
                    "Start it with 'fluid-objectstore start', or set FLUID_OBJECTSTORE_SOCKET to its socket.", ex),
                _ => ex,
            };
        }
    }

    /// <summary>Why a connection failed, in words: the kernel says "Cannot assign requested address" for a socket file that is not there.</summary>
    private static string Reason(string socketPath, Exception ex) => ex switch
    {
        SocketException when !File.Exists(socketPath) => "there is no socket file there",
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "the socket file is there but no daemon listens on it (a daemon that stopped leaves it behind)",
        _ => ex.Message,
    };

    /// <summary>
    /// Sends one request and reads its answer; an Error answer becomes the matching exception. Without
    /// <paramref name="abandon"/>, <paramref name="cancellationToken"/> cancels only the wait for the connection. With
    /// it, the token also cancels the wait for the answer of a request already sent: the caller gets
    /// <see cref="OperationCanceledException"/> at once, and the answer, still read so that the connection stays in
    /// step, goes to <paramref name="abandon"/> to give back whatever it holds.
    /// </summary>
    public async Task<T> CallAsync<T>(
        Action<FrameWriter> write, MessageType expected, Parser<T> parse, CancellationToken cancellationToken, Action<T>? abandon = null)
    {
        await _turn.WaitAsync(cancellationToken);
        var exchange = ExchangeAsync(write, expected, parse);
        if (abandon is null)
        {
            return await exchange;
        }

        try
        {
            return await exchange.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = exchange.ContinueWith(
                finished =>
                {
                    if (finished.IsCompletedSuccessfully)
                    {
                        try
                        {
                            abandon(finished.Result);
                        }
                        catch (Exception ex) when (ex is ObjectDisposedException or ObjectStoreException)
                        {
                            // The client closed meanwhile; the daemon gave back everything it held.
                        }
                    }
                    else
                    {
                        // Nobody waits for this outcome any more; reading it keeps it from surfacing as unobserved.
                        _ = finished.Exception;
                    }
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>One request and its answer, on the turn the caller took; gives the turn back when done.</summary>
    private async Task<T> ExchangeAsync<T>(Action<FrameWriter> write, MessageType expected, Parser<T> parse)
    {
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_broken)
            {
                throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable,
                    "The connection to the object store broke earlier and cannot be used again; connect a new client.");
            }

            write(_writer);
            try
            {
                // Once a request is on its way, its answer must be read whatever the caller wants: a request given up
                // halfway would leave its answer to be read as the next request's.
                if (TakeNotices())
                {
                    _segments.Add(ToSegment(_writer.End()));
                    await _socket.SendAsync(_segments, SocketFlags.None);
                }
                else
                {
                    await _socket.SendAsync(_writer.End(), SocketFlags.None, CancellationToken.None);
                }
                var body = await _reader.ReadAsync(_socket, CancellationToken.None)
                    ?? throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable, "The object store daemon closed the connection.");
                return Parse(body.Span, expected, parse);
            }
            catch (Exception ex) when (ex is SocketException or IOException or WireFormatException || (ex is ObjectDisposedException && !_disposed))
            {
                // The stream is out of step or gone: nothing after this can be trusted on this connection. Closing it
                // makes the daemon give back everything this client held, which no later release could.
                _broken = true;
                _socket.Dispose();
                throw new ObjectStoreException(ObjectStoreErrorCode.Unavailable, $"The connection to the object store failed: {ex.Message}", ex);
            }
        }
        finally
        {
            ReleaseTurn();
        }
    }

    /// <summary>Tells the daemon that this client no longer holds an object.</summary>
    public void Release(ObjectId id) => Notify(_pendingReleases, id);

    /// <summary>Tells the daemon to free a blob this client created and will not seal.</summary>
    public void DropBlob(ObjectId id) => Notify(_pendingDrops, id);

    private void Notify(List<ObjectId> pending, ObjectId id)
    {
        lock (_pendingReleases)
        {
            pending.Add(id);
        }

        ArmNoticeTimer();
    }

    /// <summary>Gives the connection back; a notice queued while it was taken goes with the next call, or alone.</summary>
    private void ReleaseTurn()
    {
        _turn.Release();
        if (HasPendingNotices())
        {
            ArmNoticeTimer();
        }
    }

    private bool HasPendingNotices()
    {
        lock (_pendingReleases)
        {
            return _pendingReleases.Count > 0 || _pendingDrops.Count > 0;
        }
    }

    private void ArmNoticeTimer()
    {
        if (Interlocked.Exchange(ref _noticeTimerArmed, 1) == 0 && !_disposed)
        {
            try
            {
                _noticeTimer.Change(NoticeDelay, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The client closed meanwhile; the daemon gave back everything it held.
            }
        }
    }

    /// <summary>
    /// Sends the notices no request took along. If a call holds the connection, it has sent its request already;
    /// it sets the timer again when it ends.
    /// </summary>
    private void SendNoticesWhenIdle()
    {
        // Disarmed before the turn is tried, so that a call ending meanwhile finds the timer free to set again.
        Interlocked.Exchange(ref _noticeTimerArmed, 0);
        if (!_turn.Wait(0))
        {
            return;
        }

        try
        {
            if (TakeNotices())
            {
                _socket.Send(_segments);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Closing the connection makes the daemon give back everything this client held, which no later notice could.
            _broken = true;
            _socket.Dispose();
        }
        finally
        {
            ReleaseTurn();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _noticeTimer.Dispose();
        _socket.Dispose();
    }

    private static T Parse<T>(ReadOnlySpan<byte> body, MessageType expected, Parser<T> parse)
    {
        var reader = new WireReader(body);
        var type = (MessageType)reader.ReadByte();
        if (type == MessageType.Error)
        {
            throw ErrorResponse.Read(ref reader).ToException();
        }

        if (type != expected)
        {
            throw new WireFormatException($"Expected a {expected} answer, got {type}.");
        }

        var message = parse(ref reader);
        reader.ExpectEnd();
        return message;
    }

    /// <summary>
    /// Puts the queued releases and drops into <see cref="_segments"/>, as frames to go ahead of whatever is sent next;
    /// the caller holds the turn. False when there are none, or the connection is closed: the daemon gave
    /// everything back when it closed.
    /// </summary>
    private bool TakeNotices()
    {
        _segments.Clear();
        lock (_pendingReleases)
        {
            if ((_pendingReleases.Count == 0 && _pendingDrops.Count == 0) || _broken || _disposed)
            {
                _pendingReleases.Clear();
                _pendingDrops.Clear();
                return false;
            }

            AddNotice(MessageType.Release, _pendingReleases, _releaseWriter);
            AddNotice(MessageType.DropBlobs, _pendingDrops, _dropWriter);
        }

        return true;
    }

    private void AddNotice(MessageType type, List<ObjectId> pending, FrameWriter writer)
    {
        if (pending.Count > 0)
        {
            new IdListMessage(type, [.. pending]).Write(writer);
            _segments.Add(ToSegment(writer.End()));
            pending.Clear();
        }
    }

    private static ArraySegment<byte> ToSegment(ReadOnlyMemory<byte> frame) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(frame, out var segment)
            ? segment
            : throw new InvalidOperationException("A frame writer's memory is always an array.");

    /// <summary>Reads the Welcome frame with recvmsg, which alone can pick up the descriptors riding on it.</summary>
    private static byte[] ReceiveWelcome(Socket socket, List<int> descriptors, TimeSpan timeout)
    {
        var header = new byte[Wire.HeaderLength];
        ReceiveExactly(socket, header, descriptors, timeout);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(header);
        if (length is 0 or > Wire.DefaultMaxFrameLength)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.ProtocolError, $"The daemon's Welcome claims {length} bytes.");
        }

        var body = new byte[length];
        ReceiveExactly(socket, body, descriptors, timeout);
        return body;
    }

    private static void ReceiveExactly(Socket socket, Span<byte> buffer, List<int> descriptors, TimeSpan timeout)
    {
        for (var received = 0; received < buffer.Length;)
        {
            var count = DescriptorPassing.Receive(socket, buffer[received..], descriptors, timeout);
            received += count > 0 ? count : throw new IOException("The daemon closed the connection during the handshake.");
        }
    }
}
