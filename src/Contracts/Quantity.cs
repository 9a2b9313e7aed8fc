using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Fluid.Aspire.Contracts;

/// <summary>
/// Kubernetes quantities (<c>2Gi</c>, <c>512Mi</c>, <c>1.5G</c>, <c>500m</c>, <c>1e9</c>) as KubernetesClient's
/// <see cref="ResourceQuantity"/>, read with the errors people need: the text is first checked against Kubernetes'
/// exact syntax (suffixes are case-sensitive, so <c>2gi</c>, <c>2GB</c> and <c>2K</c> are refused as the API server
/// refuses them), then KubernetesClient parses it. Also the one parser of sizes in bytes, and Fluid's display of them.
/// </summary>
public static partial class Quantity
{
    /// <summary>The accepted forms, for error messages.</summary>
    public const string Forms =
        "a number with an optional suffix Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024) or n, u, m, k, M, G, T, P, E (powers of 1000), e.g. 2Gi, 512Mi, 1.5G or 500m";

    /// <summary>
    /// The syntax of a quantity that is not negative (no <c>-</c> sign), ECMA-262 and RE2 alike, for CRD schemas;
    /// <see cref="TryParse(string?, out ResourceQuantity?, out string)"/> reads the same syntax, signs allowed.
    /// </summary>
    public const string NonNegativePattern = @"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$";

    /// <summary>Parses a quantity.</summary>
    /// <exception cref="FormatException">Not a quantity, or too large; the message names the accepted forms.</exception>
    public static ResourceQuantity Parse(string text) =>
        TryParse(text, out var quantity, out var error) ? quantity : throw new FormatException(error);

    /// <summary>Parses a quantity, or returns false.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ResourceQuantity? quantity) => TryParse(text, out quantity, out _);

    /// <summary>Parses a quantity, or returns false with the reason in <paramref name="error"/>.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ResourceQuantity? quantity, out string error)
    {
        quantity = null;
        error = "";
        if (text is null || !Syntax().IsMatch(text))
        {
            error = $"'{text}' is not a quantity; write {Forms}.";
            return false;
        }

        try
        {
            // KubernetesClient keeps what it read as a fraction: a value beyond a decimal's range only overflows here.
            var parsed = new ResourceQuantity(text);
            _ = parsed.ToDecimal();
            quantity = parsed;
            return true;
        }
        catch (OverflowException)
        {
            error = $"'{text}' is too large to be a quantity; use a smaller number or suffix.";
            return false;
        }
    }

    /// <summary>
    /// A size in bytes written as a quantity (<c>4Gi</c>, <c>512Mi</c>, <c>1G</c>, <c>65536</c>), rounded up to whole bytes:
    /// the one parser of sizes, for the object store's options as for resources.
    /// </summary>
    /// <exception cref="FormatException">Not a size, negative, or 2^63 - 1 bytes or more; the message says which.</exception>
    public static long ParseBytes(string text)
    {
        var trimmed = text?.Trim();
        if (trimmed is null || !Syntax().IsMatch(trimmed))
        {
            throw new FormatException($"'{text}' is not a size; write it like 4Gi, 512Mi, 1G or 65536 (bytes), as Kubernetes writes quantities.");
        }

        if (trimmed.StartsWith('-'))
        {
            throw new FormatException($"'{text}' is negative; a size is 0 or more, e.g. 4Gi.");
        }

        // KubernetesClient, as Kubernetes, clamps a value beyond 2^63 - 1 to that: no real size comes near it, so
        // reaching it means the text asked for more.
        return TryParse(trimmed, out var quantity) && quantity.ToDecimal() < long.MaxValue
            ? Bytes(quantity)
            : throw new FormatException($"'{text}' is too large.");
    }

    /// <summary>The value rounded up to a whole number, as Kubernetes' <c>Value()</c>: bytes for a memory quantity.</summary>
    public static long Bytes(ResourceQuantity quantity)
    {
        ArgumentNullException.ThrowIfNull(quantity);
        return decimal.ToInt64(decimal.Ceiling(quantity.ToDecimal()));
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

    // [0-9] rather than \d, which takes any script's digits.
    [GeneratedRegex(@"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Syntax();
}
