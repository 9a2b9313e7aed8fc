using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fluid.Aspire.Contracts.Serialization;

/// <summary>
/// A string property that also accepts a bare JSON number, keeping its text. Fluid writes watermark ratios as
/// strings (<c>high: "0.95"</c>) and people write numbers (<c>high: 0.95</c>). Both forms mean the same, and writing
/// the value back as a string keeps one shape.
/// </summary>
public sealed class NumberOrStringConverter : JsonConverter<string>
{
    /// <inheritdoc />
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
            _ => throw new JsonException($"Expected a number or a string such as \"0.95\", not a JSON {reader.TokenType}."),
        };

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value);
    }
}
