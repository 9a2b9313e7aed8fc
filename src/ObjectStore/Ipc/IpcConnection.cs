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
/// Each connection has a thread of its own, blocked in the kernel on its socket between requests. A request then
/// wakes that thread directly, where the thread pool would wake its I/O thread and then hand over to a worker: on a
/// small round trip the hand-over costs more than the request. The socket is never used asynchronously, so that it
/// stays a blocking socket in the kernel and does not join the runtime's epoll set.
/// </remarks>
internal sealed class IpcConnection(Socket socket, LocalStore store, string node, int maxFrameLength, ILogger logger)
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long an error may take to reach a client that stopped reading, before the connection closes anyway.</summary>
    private static readonly TimeSpan ErrorSendTimeout = TimeSpan.FromSeconds(1);

    private readonly FrameWriter _writer = new();
    private readonly FrameReader _reader = new(maxFrameLength);
    private ReadOnlyMemory<byte> _body;
    private ClientSession? _session;

    /// <summary>Serves the client on a new thread until it disconnects or <paramref name="stopping"/> fires.</summary>
    /// <exception cref="OutOfMemoryException">No thread could be created; the connection is closed.</exception>
    public void Start(CancellationToken stopping)
    {
        try
        {
            new Thread(() => Run(stopping)) { IsBackground = true, Name = "objectstore ipc" }.Start();
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Run(CancellationToken stopping)
    {
        // Shutting the socket down is what wakes a thread blocked in a receive or a send; closing it would not.
        using var stop = stopping.Register(() => Shut());
        try
        {
            if (!Handshake(stopping))
            {
                return;
            }

            while (_reader.Read(socket) is { } body)
            {
                _body = body;
                Serve(body.Length, stopping);
            }
        }
        catch (WireFormatException ex)
        {
            logger.LogWarning("Closing the connection of {Client}: {Reason}", Describe(), ex.Message);
            TrySendError(new ErrorResponse(ObjectStoreErrorCode.ProtocolError, ex.Message));
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or the daemon is stopping.
        }
        catch (Exception ex)
        {
            // A bug, not the client's doing. Escaping, it would end the daemon with this thread, and the client would
            // see its connection close without a reason; logged and answered, it can be fixed.
            logger.LogError(ex, "Serving {Client} failed; closing its connection.", Describe());
            TrySendError(new ErrorResponse(ObjectStoreErrorCode.Internal,
                $"The object store daemon failed on this request ({ex.GetType().Name}: {ex.Message}); its log has the details. Please report it."));
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Gives back what the client held. Nothing may escape a connection's thread: it would end the daemon.</summary>
    private void Close()
    {
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

    private void Shut()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Closed already.
        }
    }

    private bool Handshake(CancellationToken stopping)
    {
        // One limit for the whole handshake, however slowly its bytes trickle in: a receive timeout would restart
        // with each byte. Shutting the socket down ends a receive or a send that is still waiting (as Run does on stop).
        using var deadline = new CancellationTokenSource(HandshakeTimeout);
        using var expire = deadline.Token.Register(Shut);
        ReadOnlyMemory<byte>? first;
        try
        {
            first = _reader.Read(socket, Math.Min(Wire.MaxHelloLength, maxFrameLength));
        }
        catch (WireFormatException) when (deadline.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            throw new WireFormatException($"No Hello arrived within {HandshakeTimeout.TotalSeconds:0} s of connecting.");
        }

        if (first is not { } body)
        {
            return false;
        }

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
        _session = store.OpenSession(hello.ClientName, hello.ProcessId);
        var arenas = store.Arenas.Arenas;
        new WelcomeResponse(store.Instance, node, maxFrameLength, arenas.Select(a => new ArenaInfo(a.Id, a.Size)).ToArray()).Write(_writer);
        var descriptors = arenas.Select(a => a.File.Descriptor).ToArray();
        DescriptorPassing.Send(socket, _writer.End().Span, descriptors, HandshakeTimeout);
        return true;
    }

    private void Serve(int length, CancellationToken stopping)
    {
        var type = (MessageType)_body.Span[0];
        try
        {
            // Most requests complete without waiting; the few that wait (etcd, another node) hold only this
            // client's thread, which has nothing else to do until they are answered.
            if (DispatchAsync(type, length, stopping).GetAwaiter().GetResult())
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

    private string Describe() => _session?.ToString() ?? "a client before its handshake";

}
