using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Fluid.Aspire.Benchmarks.CacheAgent;

/// <summary>What a run measured: the JSON fields of issue 17's benchmark, and a table of each figure against its target.</summary>
internal sealed class CacheReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly SortedDictionary<string, object> _fields = new(StringComparer.Ordinal);
    private readonly List<Row> _rows = [];

    public void Field(string name, object value) => _fields[name] = value switch
    {
        double d => Math.Round(d, 6),
        IEnumerable<double> list => list.Select(v => Math.Round(v, 6)).ToArray(),
        _ => value,
    };

    /// <summary>A figure (a ratio of medians from the same run), its target and whether it is met, in the JSON and the table.</summary>
    public void Figure(string name, double ratio, string measure, string baseline, string target, double targetValue, bool met)
    {
        Field(name, ratio);
        Field($"{name}_target", targetValue);
        Field($"{name}_met", met);
        _rows.Add(new Row(name, measure, baseline, ratio, target, met));
    }

    public bool TargetsMet => _rows.All(r => r.Met);

    public async Task WriteAsync(string jsonPath, string command)
    {
        _fields["measured_at"] = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture);
        _fields["machine"] = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
        _fields["command"] = command;
        _fields["targets_met"] = TargetsMet;
        Directory.CreateDirectory(Path.GetDirectoryName(jsonPath)!);
        await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(_fields, Indented));
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Measured {_fields.GetValueOrDefault("measured_at")} with `{_fields.GetValueOrDefault("command")}` (load average at start {_fields.GetValueOrDefault("load_average_at_start")}).");
        text.AppendLine();
        text.AppendLine("| figure | measure (median) | baseline (same run, median) | ratio | target | met |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var row in _rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Name} | {row.Measure} | {row.Baseline} | {row.Ratio:0.###} | {row.Target} | {(row.Met ? "yes" : "**no**")} |");
        }

        return text.ToString();
    }

    private sealed record Row(string Name, string Measure, string Baseline, double Ratio, string Target, bool Met);
}
