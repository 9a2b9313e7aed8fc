using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Fluid.Aspire.Contracts.Serialization;

/// <summary>
/// Timestamps in RFC 3339, always in UTC with a <c>Z</c>: <c>2025-01-02T03:04:05Z</c>. Fractional seconds are
/// written only when there are some, so whole-second times look exactly like Kubernetes' and a clone made through
/// JSON keeps the full precision that a controller compares against.
/// </summary>
internal sealed partial class TimestampConverter : JsonConverter<DateTimeOffset>
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : null;
        if (text is null || !Rfc3339().IsMatch(text) ||
            !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var value))
        {
            throw new JsonException(
                $"'{text ?? reader.TokenType.ToString()}' is not an RFC 3339 timestamp; write it with a time zone, e.g. 2025-01-02T03:04:05Z.");
        }

        return value.ToUniversalTime();
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
    }

    /// <summary>Date, 'T', time, optional fraction, and a zone that is required: RFC 3339 has no local times.</summary>
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();
}

/// <summary>Kubernetes' own timestamps (KubernetesClient's models use <see cref="DateTime"/>), written as <see cref="TimestampConverter"/> writes them.</summary>
internal sealed class UtcDateTimeConverter : JsonConverter<DateTime>
{
    private static readonly TimestampConverter Timestamps = new();

    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Timestamps.Read(ref reader, typeof(DateTimeOffset), options).UtcDateTime;

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        Timestamps.Write(writer, value.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(value, TimeSpan.Zero) : new DateTimeOffset(value.ToUniversalTime()), options);
}
