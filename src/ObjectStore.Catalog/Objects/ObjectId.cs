using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fluid.Aspire.ObjectStore.Objects;

/// <summary>
/// A 64-bit id, unique across every instance of a cluster: <c>blob bit | milliseconds | instance | sequence</c>.
/// Printed as <c>o</c> and 16 hex digits (<c>o0001f3a2c4000001</c>); blob ids have the top bit set (<c>o8…</c>).
/// </summary>
/// <remarks>
/// Bit 63 marks a blob; bits 22–62 hold milliseconds since <see cref="Epoch"/> (69 years); bits 12–21 the instance
/// (up to 1,024 instances in a cluster); bits 0–11 a sequence (4,096 ids per millisecond per instance, after which
/// the generator borrows from the next millisecond).
/// </remarks>
[JsonConverter(typeof(ObjectIdJsonConverter))]
public readonly record struct ObjectId(ulong Value) : IComparable<ObjectId>, ISpanFormattable
{
    public const int InstanceBits = 10;
    public const int SequenceBits = 12;
    public const int TimestampBits = 41;
    public const int MaxInstance = (1 << InstanceBits) - 1;
    public const int MaxSequence = (1 << SequenceBits) - 1;
    private const ulong BlobBit = 1UL << 63;

    /// <summary>The zero of the timestamp field: 2024-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset Epoch = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static ObjectId None => default;

    public bool IsBlob => (Value & BlobBit) != 0;

    public bool IsNone => Value == 0;

    /// <summary>The instance that created the object.</summary>
    public int Instance => (int)((Value >> SequenceBits) & MaxInstance);

    public DateTimeOffset CreatedAt => Epoch.AddMilliseconds((long)((Value & ~BlobBit) >> (SequenceBits + InstanceBits)));

    public static ObjectId Create(long millisecondsSinceEpoch, int instance, int sequence, bool blob)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(millisecondsSinceEpoch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(millisecondsSinceEpoch, (1L << TimestampBits) - 1);
        ArgumentOutOfRangeException.ThrowIfNegative(instance);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(instance, MaxInstance);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, MaxSequence);
        var value = ((ulong)millisecondsSinceEpoch << (SequenceBits + InstanceBits))
            | ((uint)instance << SequenceBits)
            | (uint)sequence;
        return new ObjectId(blob ? value | BlobBit : value);
    }

    public static ObjectId Parse(string text) =>
        TryParse(text, out var id)
            ? id
            : throw new FormatException($"'{text}' is not an object id; ids look like o0001f3a2c4000001 ('o' and 16 hex digits).");

    public static bool TryParse([NotNullWhen(true)] string? text, out ObjectId id)
    {
        id = default;
        if (text is not { Length: 17 } || text[0] != 'o'
            || !ulong.TryParse(text.AsSpan(1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            || value == 0)
        {
            return false;
        }

        id = new ObjectId(value);
        return true;
    }

    /// <summary>True when <paramref name="text"/> has the shape of an id, so that a CLI argument can be an id or a name.</summary>
    public static bool LooksLikeId(string text) => TryParse(text, out _);

    public int CompareTo(ObjectId other) => Value.CompareTo(other.Value);

    public override string ToString() => $"o{Value:x16}";

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        destination.TryWrite(CultureInfo.InvariantCulture, $"o{Value:x16}", out charsWritten);

    public static bool operator <(ObjectId left, ObjectId right) => left.Value < right.Value;

    public static bool operator >(ObjectId left, ObjectId right) => left.Value > right.Value;

    public static bool operator <=(ObjectId left, ObjectId right) => left.Value <= right.Value;

    public static bool operator >=(ObjectId left, ObjectId right) => left.Value >= right.Value;
}

/// <summary>Writes ids in their printed form, so that etcd values and JSON output read the same as the CLI.</summary>
public sealed class ObjectIdJsonConverter : JsonConverter<ObjectId>
{
    private static readonly string NoneText = ObjectId.None.ToString();

    public override ObjectId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return ObjectId.TryParse(text, out var id) ? id
            : text == NoneText ? ObjectId.None
            : throw new JsonException($"'{text}' is not an object id.");
    }

    public override void Write(Utf8JsonWriter writer, ObjectId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
