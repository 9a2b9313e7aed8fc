using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fluid.Aspire.Benchmarks.Controller;

/// <summary>
/// The fields of artifacts/bench/controller.json. Loaded from the file when it exists, so that running one benchmark
/// replaces its own fields and keeps everyone else's.
/// </summary>
internal sealed class ControllerReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly JsonObject _fields;
    private readonly List<string> _missed = [];

    private ControllerReport(JsonObject fields) => _fields = fields;

    /// <summary>False when a benchmark of this run missed its target.</summary>
    public bool TargetsMet => _missed.Count == 0;

    public static ControllerReport Load(string path)
    {
        if (!File.Exists(path))
        {
            return new ControllerReport([]);
        }

        try
        {
            return new ControllerReport(JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? []);
        }
        catch (JsonException ex)
        {
            // A damaged file must not stop a run; its fields are re-measured by whichever benchmarks run next.
            Progress($"{path} is not a JSON object ({ex.Message}); starting a new one.");
            return new ControllerReport([]);
        }
    }

    public void Field(string name, double value) => _fields[name] = Math.Round(value, 6);

    public void Field(string name, long value) => _fields[name] = value;

    public void Field(string name, string value) => _fields[name] = value;

    /// <summary>Records whether a measure met its target, in <c>{prefix}_target_met</c>.</summary>
    public void Target(string prefix, string description, bool met)
    {
        _fields[$"{prefix}_target"] = description;
        _fields[$"{prefix}_target_met"] = met;
        if (!met)
        {
            _missed.Add($"{prefix}: {description}");
        }
    }

    public void Save(string path)
    {
        _fields["measured_at"] = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture);
        _fields["machine"] = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {RuntimeInformation.OSDescription}";
        // Sorted by name, so that the file diffs cleanly whichever benchmarks ran.
        var sorted = new JsonObject(_fields
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => KeyValuePair.Create(f.Key, f.Value?.DeepClone())));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, sorted.ToJsonString(Indented) + "\n");
        Progress($"wrote {path}" + (TargetsMet ? "" : $"; missed: {string.Join("; ", _missed)}"));
    }

    public override string ToString() => _fields.ToJsonString(Indented);

    public static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    /// <summary>The value below which the given fraction of the (unsorted) samples lie, interpolated.</summary>
    public static double Percentile(double[] samples, double fraction)
    {
        var sorted = (double[])samples.Clone();
        Array.Sort(sorted);
        var rank = fraction * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    public static double Milliseconds(long startTimestamp, long endTimestamp) =>
        (endTimestamp - startTimestamp) * 1000.0 / Stopwatch.Frequency;
}
