using System.Buffers.Binary;
using System.Text;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>
/// Builds one frame at a time: an 8-byte little-endian body length, then the body (message type and fields).
/// One writer per connection, reused for every frame, so that a request allocates nothing once warm.
/// </summary>
public sealed class FrameWriter
{
    private byte[] _buffer = new byte[4096];
    private int _length;

    /// <summary>Starts a frame of the given message type, discarding whatever was written before.</summary>
    public FrameWriter Begin(MessageType type)
    {
        _length = Wire.HeaderLength;
        WriteByte((byte)type);
        return this;
    }

    /// <summary>Finishes the frame: the header gets the body length. The memory is valid until the next <see cref="Begin"/>.</summary>
    public ReadOnlyMemory<byte> End()
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer, (ulong)(_length - Wire.HeaderLength));
        return _buffer.AsMemory(0, _length);
    }

    public void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        _length += 1;
    }

    public void WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value);
        _length += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);
        _length += 4;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);
        _length += 8;
    }

    public void WriteInt64(long value) => WriteUInt64((ulong)value);

    /// <summary>A LEB128 variable-length count: one byte for the small counts that dominate.</summary>
    public void WriteCount(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        var span = Reserve(5);
        var written = 0;
        var remaining = (uint)value;
        while (remaining >= 0x80)
        {
            span[written++] = (byte)(remaining | 0x80);
            remaining >>= 7;
        }

        span[written++] = (byte)remaining;
        _length += written;
    }

    public void WriteString(string value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        WriteCount(byteCount);
        Encoding.UTF8.GetBytes(value, Reserve(byteCount));
        _length += byteCount;
    }

    public void WriteNullableString(string? value)
    {
        WriteBool(value is not null);
        if (value is not null)
        {
            WriteString(value);
        }
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }

        return _buffer.AsSpan(_length, count);
    }
}
