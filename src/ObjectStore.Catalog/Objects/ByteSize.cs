using System.Globalization;

namespace Fluid.Aspire.ObjectStore.Objects;

/// <summary>Byte units, and sizes in a short human form (parsing is <c>Fluid.Aspire.Contracts.Quantity.ParseBytes</c>'s).</summary>
public static class ByteSize
{
    public const long KiB = 1024;
    public const long MiB = 1024 * KiB;
    public const long GiB = 1024 * MiB;
    public const long TiB = 1024 * GiB;

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
}
