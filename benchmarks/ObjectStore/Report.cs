using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Fluid.Aspire.Benchmarks.ObjectStore;

/// <summary>What a run measured: the JSON fields the issue names, and a table of each measure beside its baseline.</summary>
internal sealed class Report
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly SortedDictionary<string, object> _fields = new(StringComparer.Ordinal);
    private readonly List<Row> _rows = [];

    public void Field(string name, object value) => _fields[name] = value is double d ? Math.Round(d, 6) : value;

    /// <summary>A line of the table: a measure, its baseline from the same run, and the target on their ratio.</summary>
    public void Compare(string measure, double value, string unit, string baseline, double baselineValue, double ratio, string target, bool met) =>
        _rows.Add(new Row(measure, Format(value, unit), baseline, Format(baselineValue, unit), ratio, target, met));

    public async Task WriteAsync(string jsonPath, string markdownPath, string command)
    {
        _fields["measured_at"] = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture);
        _fields["machine"] = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
        _fields["targets_met"] = _rows.All(r => r.Met);
        Directory.CreateDirectory(Path.GetDirectoryName(jsonPath)!);
        await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(_fields, Indented));
        await File.WriteAllTextAsync(markdownPath, Markdown(command));
        Console.WriteLine(Markdown(command));
    }

    private string Markdown(string command)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Measured {_fields["measured_at"]} on {_fields["machine"]} with `{command}`.");
        text.AppendLine();
        text.AppendLine("| measure | value | baseline (same run) | baseline value | ratio | target | met |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var row in _rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Measure} | {row.Value} | {row.Baseline} | {row.BaselineValue} | {row.Ratio:0.###} | {row.Target} | {(row.Met ? "yes" : "**no**")} |");
        }

        return text.ToString();
    }

    private static string Format(double value, string unit) => unit switch
    {
        "ms" => string.Create(CultureInfo.InvariantCulture, $"{value:0.###} ms"),
        "s" => string.Create(CultureInfo.InvariantCulture, $"{value:0.###} s"),
        "GB/s" => string.Create(CultureInfo.InvariantCulture, $"{value:0.##} GB/s"),
        "/s" => string.Create(CultureInfo.InvariantCulture, $"{value:0} /s"),
        "µs" => string.Create(CultureInfo.InvariantCulture, $"{value:0.###} µs"),
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    private sealed record Row(string Measure, string Value, string Baseline, string BaselineValue, double Ratio, string Target, bool Met);
}
