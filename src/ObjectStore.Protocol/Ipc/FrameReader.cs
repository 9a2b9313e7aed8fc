using System.Buffers.Binary;
using System.Net.Sockets;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>
/// Reads frames from a socket through one buffer: a small frame usually arrives in one receive, and frames sent
/// back to back (a Release, then a request) are split apart here.
/// </summary>
public sealed class FrameReader
{
    private const int InitialLength = 8192;

    /// <summary>A buffer grown beyond this for a large frame goes back to its first size once that frame is served.</summary>
    private const int KeptLength = 1024 * 1024;

    private readonly int _maxFrameLength;
    private byte[] _buffer = new byte[InitialLength];
    private int _start;
    private int _end;

    public FrameReader(int maxFrameLength)
    {
        // The header and the body must fit in one array: beyond that, their length would overflow.
        _maxFrameLength = Math.Min(maxFrameLength, Array.MaxLength - Wire.HeaderLength);
    }

    /// <summary>
    /// The next frame's body (message type and fields), valid until the next call; null when the peer closed the
    /// connection between frames.
    /// </summary>
    /// <exception cref="WireFormatException">The frame is empty, larger than the limit, or cut off.</exception>
    public ValueTask<ReadOnlyMemory<byte>?> ReadAsync(Socket socket, CancellationToken cancellationToken) =>
        ReadAsync(socket, _maxFrameLength, cancellationToken);

    /// <summary>The next frame, with a lower limit than usual: for the first frame, which must be a small Hello.</summary>
    /// <exception cref="WireFormatException">The frame is empty, larger than <paramref name="maxFrameLength"/>, or cut off.</exception>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(Socket socket, int maxFrameLength, CancellationToken cancellationToken)
    {
        if (!await FillAsync(socket, Wire.HeaderLength, allowEnd: true, cancellationToken))
        {
            return null;
        }

        var total = FrameLength(maxFrameLength);
        await FillAsync(socket, total, allowEnd: false, cancellationToken);
        return Take(total);
    }

    /// <summary>
    /// Receives what the socket holds now, without waiting: for an event loop that was told the socket is readable.
    /// Complete frames are then taken with <see cref="TryTake"/>.
    /// </summary>
    /// <returns>False when the peer closed the connection between frames.</returns>
    /// <exception cref="WireFormatException">The buffered frame is larger than the limit, or the peer closed in its middle.</exception>
    /// <exception cref="SocketException">The receive failed.</exception>
    public unsafe bool ReceiveAvailable(Socket socket, int maxFrameLength)
    {
        var count = _end - _start < Wire.HeaderLength ? Wire.HeaderLength : FrameLength(maxFrameLength);
        // Called with every complete frame already taken, so there is always room for at least one more byte.
        NeedsMore(count);
        var space = FreeSpace(count).Span;
        var fd = (int)socket.Handle;
        while (true)
        {
            nint received;
            fixed (byte* bytes = space)
            {
                received = Native.LibC.Recv(fd, bytes, (nuint)space.Length, Native.LibC.MsgDontWait);
            }

            if (received >= 0)
            {
                return Received((int)received, count, allowEnd: true);
            }

            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == Native.LibC.EAGAIN)
            {
                return true;
            }

            if (errno != Native.LibC.EINTR)
            {
                throw new SocketException(errno);
            }
        }
    }

    /// <summary>The next frame if it is all buffered (valid until the next receive), or null.</summary>
    /// <exception cref="WireFormatException">The frame is empty, or larger than <paramref name="maxFrameLength"/>.</exception>
    public ReadOnlyMemory<byte>? TryTake(int maxFrameLength)
    {
        if (_end - _start < Wire.HeaderLength)
        {
            return null;
        }

        var total = FrameLength(maxFrameLength);
        if (_end - _start < total)
        {
            return null;
        }

        return Take(total);
    }

    /// <summary>The whole length (header and body) of the frame whose header is buffered, checked against the limit.</summary>
    private int FrameLength(int maxFrameLength)
    {
        maxFrameLength = Math.Min(maxFrameLength, _maxFrameLength);
        var length = BinaryPrimitives.ReadUInt64LittleEndian(_buffer.AsSpan(_start, Wire.HeaderLength));
        if (length == 0)
        {
            throw new WireFormatException("A frame of length 0 has no message type.");
        }

        if (length > (ulong)maxFrameLength)
        {
            throw new WireFormatException(
                $"A frame of {length} bytes is larger than the limit of {maxFrameLength} bytes; payloads go through shared memory, not the socket.");
        }

        return Wire.HeaderLength + (int)length;
    }

    private ReadOnlyMemory<byte> Take(int total)
    {
        var body = _buffer.AsMemory(_start + Wire.HeaderLength, total - Wire.HeaderLength);
        _start += total;
        return body;
    }

    /// <summary>Ensures <paramref name="count"/> unread bytes are buffered; false on a clean end of stream.</summary>
    private async ValueTask<bool> FillAsync(Socket socket, int count, bool allowEnd, CancellationToken cancellationToken)
    {
        while (NeedsMore(count))
        {
            if (!Received(await socket.ReceiveAsync(FreeSpace(count), SocketFlags.None, cancellationToken), count, allowEnd))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether fewer than <paramref name="count"/> unread bytes are buffered. At the start of a frame, an idle
    /// connection that once sent a large frame gives its memory back.
    /// </summary>
    private bool NeedsMore(int count)
    {
        if (_start == _end && _buffer.Length > KeptLength)
        {
            _buffer = new byte[InitialLength];
            _start = _end = 0;
        }

        return _end - _start < count;
    }

    /// <summary>Room for the next receive: what is unread moves to the front, and the buffer grows if it is full.</summary>
    private Memory<byte> FreeSpace(int count)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        // Grow as the bytes arrive, not to the length the header claims: a peer that announces a large frame and
        // sends nothing more must not make this side reserve the memory for it.
        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, (int)Math.Min(2L * _buffer.Length, count));
        }

        return _buffer.AsMemory(_end);
    }

    /// <summary>Counts a receive in; false on a clean end of stream, which only a frame boundary allows.</summary>
    private bool Received(int received, int count, bool allowEnd)
    {
        if (received == 0)
        {
            return _end == 0 && allowEnd
                ? false
                : throw new WireFormatException($"The connection closed in the middle of a frame ({_end} of {count} bytes).");
        }

        _end += received;
        return true;
    }
}
