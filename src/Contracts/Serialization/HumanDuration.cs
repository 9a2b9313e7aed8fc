using System.Globalization;

namespace Fluid.Aspire.Contracts.Serialization;

/// <summary>Durations as kubectl's AGE column shows them (Kubernetes' <c>HumanDuration</c>): <c>5s</c>, <c>3m20s</c>, <c>2h</c>, <c>4d</c>.</summary>
public static class HumanDuration
{
    /// <summary>
    /// Seconds up to 2 minutes, then minutes (with seconds below 10 minutes), hours (with minutes below 8 hours), days
    /// (with hours below 8 days), years. A time in the future by more than a second (a skewed clock) is <c>&lt;invalid&gt;</c>.
    /// </summary>
    public static string Format(TimeSpan span)
    {
        if (span < TimeSpan.FromSeconds(-1))
        {
            return "<invalid>";
        }

        if (span < TimeSpan.Zero)
        {
            return "0s";
        }

        var seconds = (long)span.TotalSeconds;
        var minutes = (long)span.TotalMinutes;
        var hours = (long)span.TotalHours;
        var days = (long)span.TotalDays;
        return seconds < 120 ? Text($"{seconds}s")
            : minutes < 10 ? seconds % 60 == 0 ? Text($"{minutes}m") : Text($"{minutes}m{seconds % 60}s")
            : minutes < 180 ? Text($"{minutes}m")
            : hours < 8 ? minutes % 60 == 0 ? Text($"{hours}h") : Text($"{hours}h{minutes % 60}m")
            : hours < 48 ? Text($"{hours}h")
            : hours < 192 ? hours % 24 == 0 ? Text($"{days}d") : Text($"{days}d{hours % 24}h")
            : days < 730 ? Text($"{days}d")
            : days < 2920 ? days % 365 == 0 ? Text($"{days / 365}y") : Text($"{days / 365}y{days % 365}d")
            : Text($"{days / 365}y");
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
