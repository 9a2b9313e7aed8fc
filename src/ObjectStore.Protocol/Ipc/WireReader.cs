using System.Buffers.Binary;
using System.Text;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>Reads the fields of one frame body; any read past the end or any impossible value is a <see cref="WireFormatException"/>.</summary>
public ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _body;
    private int _position;

    public WireReader(ReadOnlySpan<byte> body)
    {
        _body = body;
    }

    public readonly int Remaining => _body.Length - _position;

    public byte ReadByte() => Take(1)[0];

    public bool ReadBool() => ReadByte() switch
    {
        0 => false,
        1 => true,
        var other => throw new WireFormatException($"A boolean field holds {other}, not 0 or 1."),
    };

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>A non-negative 64-bit quantity (a size or an offset); values of 2^63 and above are rejected.</summary>
    public long ReadInt64()
    {
        var value = ReadUInt64();
        return value > long.MaxValue ? throw new WireFormatException($"A size field holds {value}, beyond 2^63 - 1.") : (long)value;
    }

    /// <summary>
    /// A count of items that take at least <paramref name="itemLength"/> bytes each, so that it can never exceed
    /// the bytes left divided by that: an array sized by a count is then never much larger than the frame itself,
    /// whatever the count claims.
    /// </summary>
    public int ReadCount(int itemLength = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(itemLength, 1);
        ulong value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var next = ReadByte();
            value |= (ulong)(next & 0x7f) << shift;
            if ((next & 0x80) != 0)
            {
                continue;
            }

            // Checked in 64 bits: a fifth byte above 0x0F would otherwise wrap around to a small, plausible count.
            if (value > (ulong)Remaining / (ulong)itemLength)
            {
                throw new WireFormatException(itemLength == 1
                    ? $"A count of {value} exceeds the {Remaining} bytes left in the frame."
                    : $"A count of {value} items of at least {itemLength} bytes each exceeds the {Remaining} bytes left in the frame.");
            }

            return (int)value;
        }

        throw new WireFormatException("A count is longer than five bytes.");
    }

    public string ReadString() => Decode(Take(ReadCount()));

    public string? ReadNullableString() => ReadBool() ? ReadString() : null;

    /// <summary>A string from a small vocabulary (a type name, a member name, a field or label key): the same instance each time.</summary>
    public string ReadSymbol()
    {
        var length = ReadCount();
        if (length > WireSymbols.MaxSymbolBytes)
        {
            return Decode(Take(length));
        }

        var bytes = Take(length);
        Span<char> chars = stackalloc char[WireSymbols.MaxSymbolBytes];
        try
        {
            return WireSymbols.Get(chars[..Wire.StrictUtf8.GetChars(bytes, chars)]);
        }
        catch (DecoderFallbackException ex)
        {
            throw InvalidUtf8(ex);
        }
    }

    /// <summary>Fails when a frame carries bytes after its last field: a sign that the two sides disagree on the format.</summary>
    public readonly void ExpectEnd()
    {
        if (Remaining != 0)
        {
            throw new WireFormatException($"The frame has {Remaining} unexpected bytes after its last field.");
        }
    }

    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Wire.StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw InvalidUtf8(ex);
        }
    }

    private static WireFormatException InvalidUtf8(DecoderFallbackException ex) => new("A string field is not valid UTF-8.", ex);

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new WireFormatException($"The frame ends early: a field needs {count} bytes, {Remaining} are left.");
        }

        var span = _body.Slice(_position, count);
        _position += count;
        return span;
    }
}
