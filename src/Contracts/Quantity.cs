using System.Globalization;
using System.Text.RegularExpressions;

namespace Fluid.Aspire.Contracts;

/// <summary>
/// A Kubernetes quantity such as <c>2Gi</c>, <c>512Mi</c>, <c>1.5G</c>, <c>500m</c> or <c>1e9</c>, parsed exactly
/// as the API server accepts it: binary suffixes Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024), decimal suffixes n, u, m,
/// k, M, G, T, P, E (powers of 1000), or a decimal exponent. Suffixes are case-sensitive (<c>2gi</c>, <c>2GB</c> and
/// <c>2K</c> are not quantities), so a manifest that passes here also passes on a cluster.
/// </summary>
/// <param name="Value">The exact value, e.g. 2147483648 for <c>2Gi</c> or 0.5 for <c>500m</c>.</param>
public readonly partial record struct Quantity(decimal Value)
{
    /// <summary>The accepted forms, for error messages.</summary>
    public const string Forms =
        "a number with an optional suffix Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024) or n, u, m, k, M, G, T, P, E (powers of 1000), e.g. 2Gi, 512Mi, 1.5G or 500m";

    /// <summary>
    /// The syntax of a quantity that is not negative (no <c>-</c> sign), ECMA-262 and RE2 alike, for CRD schemas;
    /// <see cref="TryParse(string?, out Quantity, out string)"/> reads the same syntax, signs allowed.
    /// </summary>
    public const string NonNegativePattern = @"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$";

    /// <summary>Parses a quantity.</summary>
    /// <exception cref="FormatException">Not a quantity; the message names the accepted forms.</exception>
    public static Quantity Parse(string text) =>
        TryParse(text, out var quantity, out var error) ? quantity : throw new FormatException(error);

    /// <summary>
    /// A size in bytes written as a quantity (<c>4Gi</c>, <c>512Mi</c>, <c>1G</c>, <c>65536</c>), rounded up to whole bytes:
    /// the one parser of sizes, for the object store's options as for resources.
    /// </summary>
    /// <exception cref="FormatException">Not a size, negative, or beyond 2^63 - 1 bytes; the message says which.</exception>
    public static long ParseBytes(string text)
    {
        var trimmed = text?.Trim();
        if (trimmed is null || !Syntax().IsMatch(trimmed))
        {
            throw new FormatException($"'{text}' is not a size; write it like 4Gi, 512Mi, 1G or 65536 (bytes), as Kubernetes writes quantities.");
        }

        if (!TryParse(trimmed, out var quantity) || decimal.Ceiling(quantity.Value) > long.MaxValue)
        {
            throw new FormatException($"'{text}' is too large.");
        }

        return quantity.Value < 0
            ? throw new FormatException($"'{text}' is negative; a size is 0 or more, e.g. 4Gi.")
            : quantity.ToInt64();
    }

    /// <summary>Parses a quantity, or returns false.</summary>
    public static bool TryParse(string? text, out Quantity quantity) => TryParse(text, out quantity, out _);

    /// <summary>Parses a quantity, or returns false with the reason in <paramref name="error"/>.</summary>
    public static bool TryParse(string? text, out Quantity quantity, out string error)
    {
        quantity = default;
        error = "";
        var match = text is null ? Match.Empty : Syntax().Match(text);
        if (!match.Success)
        {
            error = $"'{text}' is not a quantity; write {Forms}.";
            return false;
        }

        try
        {
            var number = decimal.Parse(match.Groups["number"].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            var suffix = match.Groups["suffix"].Value;
            quantity = new Quantity(number * Multiplier(suffix));
            return true;
        }
        catch (OverflowException)
        {
            error = $"'{text}' is too large to be a quantity; use a smaller number or suffix.";
            return false;
        }
    }

    /// <summary>The value rounded up to a whole number, as Kubernetes' <c>Value()</c>: bytes for a memory quantity.</summary>
    /// <exception cref="OverflowException">The value does not fit in 64 bits.</exception>
    public long ToInt64() => decimal.ToInt64(decimal.Ceiling(Value));

    /// <summary>The value in thousandths rounded up, as Kubernetes' <c>MilliValue()</c>: millicores for a CPU quantity.</summary>
    /// <exception cref="OverflowException">The value does not fit in 64 bits.</exception>
    public long ToMilli() => decimal.ToInt64(decimal.Ceiling(Value * 1000));

    /// <summary>The value in a canonical form: the largest exact binary suffix for whole numbers (<c>2Gi</c>), else decimal.</summary>
    public override string ToString()
    {
        if (Value != decimal.Truncate(Value) || Value == 0)
        {
            return Value.ToString("0.#########", CultureInfo.InvariantCulture);
        }

        string[] suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
        var value = Value;
        var index = 0;
        while (index < suffixes.Length - 1 && value % 1024 == 0)
        {
            value /= 1024;
            index++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value}{suffixes[index]}");
    }

    /// <summary>
    /// A byte count as Fluid shows sizes in status (<c>1.2GiB</c>, <c>512MiB</c>, <c>900B</c>), for fields such as
    /// <c>ufsTotal</c> and <c>cached</c>.
    /// </summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.##}{units[unit]}");
    }

    private static decimal Multiplier(string suffix) => suffix switch
    {
        "" => 1m,
        "Ki" => 1024m,
        "Mi" => 1024m * 1024,
        "Gi" => 1024m * 1024 * 1024,
        "Ti" => 1024m * 1024 * 1024 * 1024,
        "Pi" => 1024m * 1024 * 1024 * 1024 * 1024,
        "Ei" => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
        "n" => 1e-9m,
        "u" => 1e-6m,
        "m" => 1e-3m,
        "k" => 1e3m,
        "M" => 1e6m,
        "G" => 1e9m,
        "T" => 1e12m,
        "P" => 1e15m,
        "E" => 1e18m,
        // The syntax admits only the suffixes above or an exponent such as e3 or E-2.
        _ => Power(int.Parse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)),
    };

    private static decimal Power(int exponent)
    {
        if (exponent is > 28 or < -28)
        {
            throw new OverflowException();
        }

        var result = 1m;
        for (var i = 0; i < Math.Abs(exponent); i++)
        {
            result *= 10;
        }

        return exponent < 0 ? 1 / result : result;
    }

    // [0-9] rather than \d, which takes any script's digits, which decimal.Parse would then refuse.
    [GeneratedRegex(@"^(?<number>[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+))(?<suffix>|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Syntax();
}
