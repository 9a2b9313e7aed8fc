namespace Fluid.Aspire.Cli.Tests;

/// <summary>Reads a table printed by fluid get back into cells, by where each header starts, as an eye does.</summary>
internal static class Columns
{
    /// <summary>The rows of <paramref name="output"/> as header → cell; fails when the headers are not exactly <paramref name="headers"/>.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> Parse(string output, params string[] headers)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join("   ", headers), Collapse(lines[0]));
        var starts = new List<int>();
        foreach (var header in headers)
        {
            starts.Add(lines[0].IndexOf(header, starts.Count == 0 ? 0 : starts[^1] + 1, StringComparison.Ordinal));
        }

        return [.. lines.Skip(1).Select(line => (IReadOnlyDictionary<string, string>)headers.Select((header, i) =>
        {
            var end = i + 1 < starts.Count ? starts[i + 1] : line.Length;
            return (header, cell: line[Math.Min(starts[i], line.Length)..Math.Min(end, line.Length)].Trim());
        }).ToDictionary(c => c.header, c => c.cell))];
    }

    /// <summary>The header line with every run of padding shrunk to the three-space gap, to compare header order.</summary>
    private static string Collapse(string line) =>
        System.Text.RegularExpressions.Regex.Replace(line.TrimEnd(), " {3,}", "   ");
}
