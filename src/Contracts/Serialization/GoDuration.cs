using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Fluid.Aspire.Contracts.Serialization;

/// <summary>
/// Durations as Go and Kubernetes write them (<c>1h2m3s</c>, <c>1m30.5s</c>, <c>250ms</c>), which is how Fluid shows an
/// operation's <c>duration</c>; <see cref="TimeSpan"/>'s own <c>00:01:30.5</c> would look foreign in <c>kubectl get</c>.
/// </summary>
public static partial class GoDuration
{
    /// <summary>Formats like Go's <c>time.Duration.String()</c>: <c>0s</c>, <c>750ms</c>, <c>1m30.5s</c>, <c>2h0m5s</c>.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        var builder = new StringBuilder();
        if (value < TimeSpan.Zero)
        {
            builder.Append('-');
            // TimeSpan.MinValue cannot be negated; a tick less is far below any display precision.
            value = value == TimeSpan.MinValue ? TimeSpan.MaxValue : value.Negate();
        }

        var ticks = value.Ticks;
        if (ticks < TimeSpan.TicksPerSecond)
        {
            // Below a second Go switches to the largest unit that keeps the number at least 1.
            return ticks < TimeSpan.TicksPerMicrosecond
                ? builder.Append(CultureInfo.InvariantCulture, $"{ticks * TimeSpan.NanosecondsPerTick}ns").ToString()
                : ticks < TimeSpan.TicksPerMillisecond
                    ? builder.Append(CultureInfo.InvariantCulture, $"{(decimal)ticks / TimeSpan.TicksPerMicrosecond:0.#}µs").ToString()
                    : builder.Append(CultureInfo.InvariantCulture, $"{(decimal)ticks / TimeSpan.TicksPerMillisecond:0.####}ms").ToString();
        }

        var hours = ticks / TimeSpan.TicksPerHour;
        var minutes = ticks % TimeSpan.TicksPerHour / TimeSpan.TicksPerMinute;
        var seconds = (decimal)(ticks % TimeSpan.TicksPerMinute) / TimeSpan.TicksPerSecond;
        if (hours > 0)
        {
            builder.Append(CultureInfo.InvariantCulture, $"{hours}h");
        }

        if (hours > 0 || minutes > 0)
        {
            builder.Append(CultureInfo.InvariantCulture, $"{minutes}m");
        }

        return builder.Append(CultureInfo.InvariantCulture, $"{seconds:0.#######}s").ToString();
    }

    /// <summary>Parses a Go duration: a sequence of decimal numbers with units h, m, s, ms, us (µs), ns.</summary>
    /// <exception cref="FormatException">The text is not a Go duration; the message shows the accepted form.</exception>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a duration; write it like 90s, 1m30s, 2h or 250ms.");

    /// <summary>Parses a Go duration, or returns false.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var negative = text[0] == '-';
        var body = text[0] is '-' or '+' ? text[1..] : text;
        if (body == "0")
        {
            return true;
        }

        var parts = Part().Matches(body);
        if (parts.Count == 0 || parts.Sum(p => p.Length) != body.Length)
        {
            return false;
        }

        decimal ticks = 0;
        foreach (Match part in parts)
        {
            var number = decimal.Parse(part.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            ticks += number * part.Groups["unit"].Value switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "µs" or "μs" => TimeSpan.TicksPerMicrosecond,
                _ => 1m / TimeSpan.NanosecondsPerTick,
            };
            if (ticks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }
        }

        value = TimeSpan.FromTicks((long)decimal.Round(ticks));
        if (negative)
        {
            value = value.Negate();
        }

        return true;
    }

    [GeneratedRegex(@"(?<number>\d+(\.\d*)?|\.\d+)(?<unit>ns|us|µs|μs|ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();
}

/// <summary>Reads and writes <see cref="TimeSpan"/> as a <see cref="GoDuration"/>.</summary>
internal sealed class GoDurationConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return GoDuration.TryParse(text, out var value)
            ? value
            : throw new JsonException($"'{text ?? reader.TokenType.ToString()}' is not a duration; write it like \"90s\", \"1m30s\" or \"2h\".");
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(GoDuration.Format(value));
    }
}
