using System.Globalization;
using System.Text.RegularExpressions;

namespace Fluid.Aspire.ObjectStore.Objects;

/// <summary>Sizes as people and Kubernetes write them: <c>4Gi</c>, <c>512Mi</c>, <c>1G</c>, <c>65536</c>.</summary>
public static partial class ByteSize
{
    public const long KiB = 1024;
    public const long MiB = 1024 * KiB;
    public const long GiB = 1024 * MiB;
    public const long TiB = 1024 * GiB;

    /// <summary>Parses a size; binary suffixes (Ki, Mi, Gi, Ti) and decimal ones (k, M, G, T) as Kubernetes quantities.</summary>
    /// <exception cref="FormatException">The text is not a size; the message shows the accepted forms.</exception>
    public static long Parse(string text)
    {
        var match = Quantity().Match(text.Trim());
        if (!match.Success)
        {
            throw new FormatException($"'{text}' is not a size; write it like 4Gi, 512Mi, 1G or 65536 (bytes).");
        }

        // Thirty digits overflow even a decimal: too large, like any size beyond 2^63 - 1 bytes.
        if (!decimal.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            throw new FormatException($"'{text}' is too large.");
        }

        var unit = match.Groups["unit"].Value;
        long multiplier = unit switch
        {
            "" or "B" => 1,
            "Ki" or "KiB" => KiB,
            "Mi" or "MiB" => MiB,
            "Gi" or "GiB" => GiB,
            "Ti" or "TiB" => TiB,
            "k" or "K" or "KB" => 1_000,
            "M" or "MB" => 1_000_000,
            "G" or "GB" => 1_000_000_000,
            "T" or "TB" => 1_000_000_000_000,
            _ => throw new FormatException($"'{text}' has an unknown unit '{unit}'; use Ki, Mi, Gi, Ti or k, M, G, T."),
        };

        // A number far too large is caught before multiplying, which could overflow the decimal itself.
        var bytes = number > (long.MaxValue / (decimal)multiplier) + 1 ? decimal.MaxValue : decimal.Ceiling(number * multiplier);
        return bytes > long.MaxValue
            ? throw new FormatException($"'{text}' is too large.")
            : (long)bytes;
    }

    /// <summary>A short human form: <c>1.5 GiB</c>, <c>64 MiB</c>, <c>900 B</c>.</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {units[unit]}");
    }

    // [0-9] rather than \d, which takes any script's digits, which decimal.Parse would then refuse.
    [GeneratedRegex(@"^(?<number>[0-9]+(\.[0-9]+)?)\s*(?<unit>[A-Za-z]*)$")]
    private static partial Regex Quantity();
}
