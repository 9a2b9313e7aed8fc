using System.Text.Json;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Tests.Protocol;

/// <summary>Ids: blob bit, milliseconds, instance and sequence in 64 bits, printed as <c>o</c> and 16 hex digits.</summary>
public sealed class ObjectIdTests
{
    [Fact]
    public void Each_field_has_its_own_bits()
    {
        Assert.Equal(1UL, ObjectId.Create(0, 0, 1, blob: false).Value);
        Assert.Equal((ulong)ObjectId.MaxSequence, ObjectId.Create(0, 0, ObjectId.MaxSequence, blob: false).Value);
        Assert.Equal(1UL << 12, ObjectId.Create(0, 1, 0, blob: false).Value);
        Assert.Equal((ulong)ObjectId.MaxInstance << 12, ObjectId.Create(0, ObjectId.MaxInstance, 0, blob: false).Value);
        Assert.Equal(1UL << 22, ObjectId.Create(1, 0, 0, blob: false).Value);
        Assert.Equal(((1UL << 41) - 1) << 22, ObjectId.Create((1L << 41) - 1, 0, 0, blob: false).Value);
        Assert.Equal(1UL << 63, ObjectId.Create(0, 0, 0, blob: true).Value);
        Assert.Equal(ulong.MaxValue, ObjectId.Create((1L << 41) - 1, ObjectId.MaxInstance, ObjectId.MaxSequence, blob: true).Value);
    }

    [Fact]
    public void The_fields_read_back_from_an_id()
    {
        var created = new DateTimeOffset(2025, 6, 30, 12, 34, 56, 789, TimeSpan.Zero);
        var milliseconds = (long)(created - ObjectId.Epoch).TotalMilliseconds;

        var id = ObjectId.Create(milliseconds, 513, 4000, blob: false);
        var blob = ObjectId.Create(milliseconds, 513, 4000, blob: true);

        Assert.Equal(created, id.CreatedAt);
        Assert.Equal(created, blob.CreatedAt);
        Assert.Equal(513, id.Instance);
        Assert.Equal(513, blob.Instance);
        Assert.Equal(4000, (int)(id.Value & ObjectId.MaxSequence));
        Assert.False(id.IsBlob);
        Assert.True(blob.IsBlob);
        Assert.Equal(id.Value | (1UL << 63), blob.Value);
        Assert.Equal(ObjectId.Epoch, ObjectId.Create(0, 0, 1, blob: false).CreatedAt);
    }

    [Theory]
    [InlineData(-1L, 0, 0)]
    [InlineData(1L << 41, 0, 0)]
    [InlineData(0L, -1, 0)]
    [InlineData(0L, ObjectId.MaxInstance + 1, 0)]
    [InlineData(0L, 0, -1)]
    [InlineData(0L, 0, ObjectId.MaxSequence + 1)]
    public void A_field_out_of_its_range_is_refused(long milliseconds, int instance, int sequence) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ObjectId.Create(milliseconds, instance, sequence, blob: false));

    [Fact]
    public void An_id_prints_as_o_and_16_lowercase_hex_digits_and_parses_back()
    {
        var id = ObjectId.Create(123_456_789, 7, 42, blob: false);

        Assert.Equal($"o{id.Value:x16}", id.ToString());
        Assert.Equal("o0000000000000001", new ObjectId(1).ToString());
        Assert.Equal("o8000000000000000", new ObjectId(1UL << 63).ToString());
        Assert.Equal("offffffffffffffff", new ObjectId(ulong.MaxValue).ToString());
        Assert.Equal(id, ObjectId.Parse(id.ToString()));
        Assert.Equal(new ObjectId(0xABCDEF), ObjectId.Parse("o0000000000ABCDEF"));
        Assert.Equal(id.ToString(), $"{id}");
        Assert.Equal(id.ToString(), string.Format(System.Globalization.CultureInfo.InvariantCulture, "{0:x}", id));
    }

    [Fact]
    public void A_blob_id_prints_with_the_top_bit_set()
    {
        var blob = ObjectId.Create(1, 1, 1, blob: true);

        Assert.StartsWith("o8", blob.ToString(), StringComparison.Ordinal);
        Assert.True(ObjectId.Parse(blob.ToString()).IsBlob);
        Assert.False(ObjectId.Parse("o7fffffffffffffff").IsBlob);
    }

    [Fact]
    public void TryFormat_writes_the_same_text_and_says_when_the_space_is_short()
    {
        var id = new ObjectId(0x0123_4567_89AB_CDEF);
        Span<char> room = stackalloc char[17];

        Assert.True(id.TryFormat(room, out var written, default, null));
        Assert.Equal(17, written);
        Assert.Equal("o0123456789abcdef", room.ToString());
        Assert.False(id.TryFormat(room[..16], out _, default, null));
    }

    [Theory]
    [InlineData("")]
    [InlineData("o")]
    [InlineData("0123456789abcdef0")]
    [InlineData("p0123456789abcdef")]
    [InlineData("O0123456789abcdef")]
    [InlineData("o0123456789abcde")]
    [InlineData("o0123456789abcdef0")]
    [InlineData("o0123456789abcdeg")]
    [InlineData(" o0123456789abcdef")]
    [InlineData("o 123456789abcdef")]
    [InlineData("o-123456789abcdef")]
    [InlineData("o0000000000000000")]
    [InlineData("x_train")]
    public void Text_that_is_not_an_id_is_refused_with_the_expected_form(string text)
    {
        Assert.False(ObjectId.TryParse(text, out var id));
        Assert.Equal(ObjectId.None, id);
        Assert.False(ObjectId.LooksLikeId(text));

        var error = Assert.Throws<FormatException>(() => ObjectId.Parse(text));

        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("o0001f3a2c4000001", error.Message, StringComparison.Ordinal);
        Assert.Contains("'o' and 16 hex digits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_is_not_an_id()
    {
        Assert.False(ObjectId.TryParse(null, out var id));
        Assert.True(id.IsNone);
    }

    [Fact]
    public void Ids_compare_by_their_value()
    {
        var early = ObjectId.Create(10, 5, 0, blob: false);
        var later = ObjectId.Create(11, 0, 0, blob: false);
        var blob = ObjectId.Create(0, 0, 1, blob: true);

        Assert.True(early < later);
        Assert.True(later > early);
        Assert.True(early <= new ObjectId(early.Value));
        Assert.True(later >= early);
        Assert.True(blob > later);
        Assert.Equal([early, later, blob], new[] { blob, later, early }.Order());
        Assert.Equal(0, early.CompareTo(new ObjectId(early.Value)));
        Assert.True(ObjectId.None.IsNone);
        Assert.False(early.IsNone);
    }

    [Fact]
    public void Json_holds_ids_in_their_printed_form()
    {
        var id = ObjectId.Create(99, 3, 7, blob: true);

        var json = JsonSerializer.Serialize(new Holder(id, [id, new ObjectId(1)]));

        Assert.Equal($$"""{"Id":"{{id}}","More":["{{id}}","o0000000000000001"]}""", json);
        var back = JsonSerializer.Deserialize<Holder>(json)!;
        Assert.Equal(id, back.Id);
        Assert.Equal([id, new ObjectId(1)], back.More);
        Assert.Equal($"\"{id}\"", JsonSerializer.Serialize(id));
        Assert.Equal(id, JsonSerializer.Deserialize<ObjectId>($"\"{id}\""));
    }

    [Fact]
    public void The_empty_id_of_metadata_not_yet_stored_round_trips_through_json()
    {
        // A client's metadata has no id until the store gives it one; it still travels as JSON (remote puts).
        Assert.Equal("\"o0000000000000000\"", JsonSerializer.Serialize(ObjectId.None));
        Assert.Equal(ObjectId.None, JsonSerializer.Deserialize<ObjectId>("\"o0000000000000000\""));
    }

    [Theory]
    [InlineData("\"x_train\"", "'x_train' is not an object id")]
    [InlineData("null", "'' is not an object id")]
    public void Json_that_is_not_an_id_is_refused_with_the_text(string json, string message)
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ObjectId>(json));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private sealed record Holder(ObjectId Id, ObjectId[] More);
}
