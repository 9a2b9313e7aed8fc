using System.Buffers.Binary;
using System.Net.Sockets;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>
/// Reads frames from a socket through one buffer: a small frame usually arrives in one receive, and frames sent
/// back to back (a Release, then a request) are split apart here.
/// </summary>
public sealed class FrameReader(int maxFrameLength)
{
    private byte[] _buffer = new byte[8192];
    private int _start;
    private int _end;

    /// <summary>
    /// The next frame's body (message type and fields), valid until the next call; null when the peer closed the
    /// connection between frames.
    /// </summary>
    /// <exception cref="WireFormatException">The frame is empty, larger than the limit, or cut off.</exception>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(Socket socket, CancellationToken cancellationToken)
    {
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

        // Make room: move what is unread to the front, and grow for frames larger than the buffer.
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(count, _buffer.Length * 2));
        }

        while (_end < count)
        {
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
