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
        maxFrameLength = Math.Min(maxFrameLength, _maxFrameLength);
        if (_start == _end && _buffer.Length > KeptLength)
        {
            // An idle connection that once sent a large frame should not keep its memory.
            _buffer = new byte[InitialLength];
            _start = _end = 0;
        }

        if (!await FillAsync(socket, Wire.HeaderLength, allowEnd: true, cancellationToken))
        {
            return null;
        }

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

        var total = Wire.HeaderLength + (int)length;
        await FillAsync(socket, total, allowEnd: false, cancellationToken);
        var body = _buffer.AsMemory(_start + Wire.HeaderLength, (int)length);
        _start += total;
        return body;
    }

    /// <summary>Ensures <paramref name="count"/> unread bytes are buffered; false on a clean end of stream.</summary>
    private async ValueTask<bool> FillAsync(Socket socket, int count, bool allowEnd, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        // Make room: move what is unread to the front.
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        while (_end < count)
        {
            // Grow as the bytes arrive, not to the length the header claims: a peer that announces a large frame
            // and sends nothing more must not make this side reserve the memory for it.
            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, (int)Math.Min(2L * _buffer.Length, count));
            }

            var received = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
            if (received == 0)
            {
                return _end == 0 && allowEnd
                    ? false
                    : throw new WireFormatException($"The connection closed in the middle of a frame ({_end} of {count} bytes).");
            }

            _end += received;
        }

        return true;
    }
}
