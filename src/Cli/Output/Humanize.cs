using System.Globalization;
using Fluid.Aspire.Contracts.Serialization;

namespace Fluid.Aspire.Cli.Output;

/// <summary>Times and durations as kubectl shows them, so that the columns read the same as a cluster's.</summary>
internal static class Humanize
{
    /// <summary>What an empty cell shows, as in kubectl.</summary>
    public const string None = "<none>";

    /// <summary>How long ago <paramref name="time"/> was, as kubectl's AGE column: <c>5s</c>, <c>3m20s</c>, <c>2h</c>, <c>4d</c>.</summary>
    public static string Age(DateTimeOffset? time, DateTimeOffset now) =>
        time is null ? "<unknown>" : Duration(now - time.Value);

    /// <summary>kubectl's <c>HumanDuration</c>.</summary>
    public static string Duration(TimeSpan span) => HumanDuration.Format(span);

    /// <summary>
    /// How long a step ran. Steps often take well under a second, which <see cref="Duration"/> would show as
    /// <c>0s</c>; below ten seconds Go's own form (<c>120ms</c>, <c>2.5s</c>) says more.
    /// </summary>
    public static string RunTime(TimeSpan? span) =>
        span is not { } value ? None
            : value < TimeSpan.FromSeconds(1) ? GoDuration.Format(TimeSpan.FromMilliseconds(Math.Round(value.TotalMilliseconds)))
            : value < TimeSpan.FromSeconds(10) ? GoDuration.Format(TimeSpan.FromMilliseconds(Math.Round(value.TotalMilliseconds / 100) * 100))
            : Duration(value);

    /// <summary>A timestamp as kubectl describe shows it, with how long ago: <c>2025-05-01T10:00:00Z (5m ago)</c>.</summary>
    public static string Timestamp(DateTimeOffset? time, DateTimeOffset now) =>
        time is null ? None : Format($"{time.Value.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} ({Age(time, now)} ago)");

    /// <summary>An empty or missing value as <c>&lt;none&gt;</c>.</summary>
    public static string OrNone(string? value) => string.IsNullOrEmpty(value) ? None : value;

    /// <summary>A number, or <c>&lt;none&gt;</c>.</summary>
    public static string OrNone(long? value) => value is null ? None : value.Value.ToString(CultureInfo.InvariantCulture);

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
