using System.Net.Sockets;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Store;
using Fluid.Aspire.ObjectStore.Telemetry;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>
/// One client on the Unix socket: the handshake (with the arenas' descriptors), then requests answered in order.
/// A request the store refuses gets an error and the connection goes on; a frame that breaks the wire format
/// gets an error and the connection is closed. Either way the other clients are not affected.
/// </summary>
/// <remarks>
/// Served by its <see cref="IpcLoop"/>'s thread, which is woken by epoll when bytes arrive and answers the requests
/// it finds at once: a small round trip costs no hand-over between threads. A request that has to wait (etcd,
/// another node) takes the connection off the loop until it is answered, so that the loop's other clients are not
/// held up; its further requests are then served in order. The socket itself stays blocking for sends, with a
/// limit: a client that stops reading its answers is disconnected rather than allowed to stall its loop.
/// </remarks>
internal sealed class IpcConnection(
    long id, Socket socket, PeerCredentials peer, IpcLoop loop, LocalStore store, string node, int maxFrameLength, ILogger logger)
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long an answer may wait for a client that stopped reading before the connection is closed.</summary>
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long an error may take to reach a client that stopped reading, before the connection closes anyway.</summary>
    private static readonly TimeSpan ErrorSendTimeout = TimeSpan.FromSeconds(1);

    private readonly FrameWriter _writer = new();
    private readonly FrameReader _reader = new(maxFrameLength);
    private readonly long _connectedAt = System.Diagnostics.Stopwatch.GetTimestamp();
    private ReadOnlyMemory<byte> _body;
    private ClientSession? _session;
    private int _closed;

    public long Id { get; } = id;

    public int Descriptor { get; } = (int)socket.Handle;

    /// <summary>Whether a request is being answered off the loop; the loop leaves such a connection alone.</summary>
    public bool Waiting { get; private set; }

    /// <summary>Serves what has arrived; called by the loop when the socket is readable.</summary>
    public void OnReadable() => Guarded(() =>
    {
        if (!_reader.ReceiveAvailable(socket, _session is null ? Math.Min(Wire.MaxHelloLength, maxFrameLength) : maxFrameLength))
        {
            Close();
            return;
        }

        ServeBuffered();
    });

    /// <summary>Closes the connection if it sent no Hello in time; called by the loop now and then.</summary>
    public void CheckHandshake()
    {
        if (_session is null && System.Diagnostics.Stopwatch.GetElapsedTime(_connectedAt) > HandshakeTimeout)
        {
            logger.LogWarning("Closing the connection of {Client}: no Hello arrived within {Seconds:0} s of connecting.", Describe(), HandshakeTimeout.TotalSeconds);
            TrySendError(new ErrorResponse(ObjectStoreErrorCode.ProtocolError, $"No Hello arrived within {HandshakeTimeout.TotalSeconds:0} s of connecting."));
            Close();
        }
    }

    /// <summary>Gives back what the client held; once, whoever calls it first. Nothing may escape: it would end the daemon.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        loop.Remove(this);
        try
        {
            if (_session is not null)
            {
                store.CloseSession(_session);
            }
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Closing the session of {Client} failed; what it held may stay until the daemon restarts.", Describe());
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>Serves every complete frame buffered, until one has to wait.</summary>
    private void ServeBuffered()
    {
        while (_closed == 0 && _reader.TryTake(_session is null ? Math.Min(Wire.MaxHelloLength, maxFrameLength) : maxFrameLength) is { } body)
        {
            if (_session is null)
            {
                if (!Handshake(body))
                {
                    Close();
                    return;
                }

                continue;
            }

            _body = body;
            var answer = DispatchAsync((MessageType)body.Span[0], body.Length, loop.Stopping);
            if (!answer.IsCompleted)
            {
                Waiting = true;
                loop.Unwatch(this);
                _ = AnswerLaterAsync(answer);
                return;
            }

            Send(answer);
        }
    }

    private async Task AnswerLaterAsync(Task<bool> answer)
    {
        await ((Task)answer).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Guarded(() =>
        {
            Send(answer);
            Waiting = false;
            ServeBuffered();
            if (!Waiting && _closed == 0)
            {
                loop.Watch(this);
            }
        });
    }

    /// <summary>Sends the answer of a completed request: its response, or the error the store refused it with.</summary>
    private void Send(Task<bool> answer)
    {
        try
        {
            if (answer.GetAwaiter().GetResult())
            {
                socket.Send(_writer.End().Span);
            }
        }
        catch (ObjectStoreException ex)
        {
            ErrorResponse.From(ex).Write(_writer);
            socket.Send(_writer.End().Span);
        }
    }

    /// <summary>Runs a step of serving; whatever goes wrong closes this connection and no other.</summary>
    private void Guarded(Action serve)
    {
        try
        {
            serve();
        }
        catch (WireFormatException ex)
        {
            logger.LogWarning("Closing the connection of {Client}: {Reason}", Describe(), ex.Message);
            TrySendError(new ErrorResponse(ObjectStoreErrorCode.ProtocolError, ex.Message));
            Close();
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or stopped reading its answers, or the daemon is stopping.
            Close();
        }
        catch (Exception ex)
        {
            // A bug, not the client's doing. Escaping, it would end the daemon, and the client would see its
            // connection close without a reason; logged and answered, it can be fixed.
            logger.LogError(ex, "Serving {Client} failed; closing its connection.", Describe());
            TrySendError(new ErrorResponse(ObjectStoreErrorCode.Internal,
                $"The object store daemon failed on this request ({ex.GetType().Name}: {ex.Message}); its log has the details. Please report it."));
            Close();
        }
    }

    private bool Handshake(ReadOnlyMemory<byte> body)
    {
        var reader = new WireReader(body.Span);
        if ((MessageType)reader.ReadByte() != MessageType.Hello)
        {
            throw new WireFormatException("The first message on a connection must be Hello.");
        }

        var hello = HelloRequest.Read(ref reader);
        if (hello.Magic != Wire.Magic)
        {
            throw new WireFormatException("This is the object store's socket, and the client does not speak its protocol.");
        }

        if (hello.Version != Wire.ProtocolVersion)
        {
            TrySendError(new ErrorResponse(ObjectStoreErrorCode.VersionMismatch,
                $"The client speaks protocol version {hello.Version}, this daemon {Wire.ProtocolVersion}; use a client of the daemon's release."));
            return false;
        }

        reader.ExpectEnd();
        // The kernel's pid, not the one the Hello claims: it is what an operator can look up.
        _session = store.OpenSession(hello.ClientName, peer.ProcessId);
        logger.LogDebug("Client {Client} connected.", Describe());
        var arenas = store.Arenas.Arenas;
        new WelcomeResponse(store.Instance, node, maxFrameLength, arenas.Select(a => new ArenaInfo(a.Id, a.Size)).ToArray()).Write(_writer);
        var descriptors = arenas.Select(a => a.File.Descriptor).ToArray();
        DescriptorPassing.Send(socket, _writer.End().Span, descriptors, SendTimeout);
        return true;
    }

    /// <summary>Serves one request; returns false for messages that get no answer.</summary>
    private async Task<bool> DispatchAsync(MessageType type, int length, CancellationToken stopping)
    {
        var session = _session!;
        switch (type)
        {
            case MessageType.CreateBlobs:
            {
                var request = Read(length, CreateBlobsRequest.Read);
                var (blobs, spare) = await store.CreateBlobsAsync(session, request.Sizes, request.SpareSize, stopping);
                new BlobsResponse(blobs, spare).Write(_writer);
                return true;
            }

            case MessageType.CreateObject:
            {
                var request = Read(length, CreateObjectRequest.Read);
                var (id, spare) = await store.CreateObjectAsync(session, request.Meta, request.Name, request.Persist, request.SpareSize, stopping);
                new CreatedResponse(id, spare).Write(_writer);
                return true;
            }

            case MessageType.Get:
            {
                var request = Read(length, GetRequest.Read);
                using var activity = ObjectStoreTelemetry.StartServing("objectstore get", request.TraceParent, session.ClientName);
                try
                {
                    var (meta, blobs) = await store.GetAsync(session, request.Target, request.Fetch, stopping);
                    activity?.SetTag(ObjectStoreTelemetry.ObjectTag, meta.Id.ToString());
                    new ObjectResponse(meta, blobs).Write(_writer);
                    return true;
                }
                catch (ObjectStoreException ex) when (activity is not null)
                {
                    activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Code.ToString());
                    throw;
                }
            }

            case MessageType.Release:
                store.Release(session, Read(length, (ref WireReader r) => IdListMessage.Read(type, ref r)).Ids);
                return false;

            case MessageType.DropBlobs:
                store.DropBlobs(session, Read(length, (ref WireReader r) => IdListMessage.Read(type, ref r)).Ids);
                return false;

            case MessageType.Delete:
                await store.DeleteAsync(Read(length, (ref WireReader r) => TargetRequest.Read(type, ref r)).Target, stopping);
                break;

            case MessageType.Stat:
            {
                var target = Read(length, (ref WireReader r) => TargetRequest.Read(type, ref r)).Target;
                (await store.StatAsync(target, stopping)).Write(_writer);
                return true;
            }

            case MessageType.Persist:
                await store.PersistAsync(Read(length, (ref WireReader r) => TargetRequest.Read(type, ref r)).Target, stopping);
                break;

            case MessageType.PutName:
            {
                var request = Read(length, (ref WireReader r) => NameRequest.Read(type, ref r));
                await store.PutNameAsync(request.Name, request.Id, stopping);
                break;
            }

            case MessageType.DropName:
                await store.DropNameAsync(Read(length, (ref WireReader r) => NameRequest.Read(type, ref r)).Name, stopping);
                break;

            case MessageType.List:
            {
                var request = Read(length, ListRequest.Read);
                store.List(request.Pattern, request.Limit).Write(_writer);
                return true;
            }

            case MessageType.Stats:
                Read(length, (ref WireReader _) => true);
                store.Stats(node).Write(_writer);
                return true;

            default:
                throw new WireFormatException($"Message type 0x{(byte)type:x2} is not a request this daemon serves.");
        }

        _writer.Begin(MessageType.Ok);
        return true;
    }

    private delegate T FieldReader<out T>(ref WireReader reader);

    private T Read<T>(int length, FieldReader<T> read)
    {
        var reader = new WireReader(_body.Span[1..length]);
        var message = read(ref reader);
        reader.ExpectEnd();
        return message;
    }

    private void TrySendError(ErrorResponse error)
    {
        try
        {
            error.Write(_writer);
            socket.SendTimeout = (int)ErrorSendTimeout.TotalMilliseconds;
            socket.Send(_writer.End().Span);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The client is gone already, or stopped reading; there is no one left to tell.
        }
    }

    private string Describe() => _session is { } session ? $"{session}, uid {peer.UserId}" : $"a client before its handshake ({peer})";

}
