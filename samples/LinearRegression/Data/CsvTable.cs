using System.Globalization;
using System.Text;

namespace Fluid.Aspire.Samples.LinearRegression.Data;

/// <summary>
/// A CSV file read into columns: a column whose non-empty values all parse as numbers is numeric (empty cells become
/// NaN, to impute); any other is categorical, one-hot encoded. Quoted fields with commas and doubled quotes work.
/// </summary>
public static class CsvTable
{
    public static FeatureTable Load(string path, string target)
    {
        using var file = File.OpenRead(path);
        return Load(file, path, target);
    }

    /// <summary>Reads a CSV from <paramref name="stream"/>; <paramref name="path"/> names it in errors.</summary>
    public static FeatureTable Load(Stream stream, string path, string target)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var header = Split(reader.ReadLine() ?? throw new InvalidDataException($"{path} is empty; it needs a header row."));
        var targetIndex = Array.IndexOf(header, target);
        if (targetIndex < 0)
        {
            throw new ArgumentException($"{path} has no column '{target}'; its columns are {string.Join(", ", header)}.", nameof(target));
        }

        var cells = header.Select(_ => new List<string>()).ToArray();
        var line = 1;
        while (reader.ReadLine() is { } row)
        {
            line++;
            if (row.Length == 0)
            {
                continue;
            }

            var fields = Split(row);
            if (fields.Length != header.Length)
            {
                throw new InvalidDataException($"{path}, line {line}: {fields.Length} fields where the header has {header.Length}.");
            }

            for (var c = 0; c < fields.Length; c++)
            {
                cells[c].Add(fields[c]);
            }
        }

        var names = new List<string>();
        var columns = new List<double[]>();
        double[]? y = null;
        for (var c = 0; c < header.Length; c++)
        {
            if (TryNumeric(cells[c], out var values))
            {
                if (c == targetIndex)
                {
                    y = values;
                }
                else
                {
                    names.Add(header[c]);
                    columns.Add(values);
                }
            }
            else if (c == targetIndex)
            {
                throw new InvalidDataException($"The target column '{target}' of {path} is not numeric; a linear regression predicts a number.");
            }
            else
            {
                // One-hot: a 0/1 column per category, in a stable (sorted) order.
                foreach (var category in cells[c].Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                {
                    names.Add($"{header[c]}={category}");
                    columns.Add(cells[c].Select(v => v == category ? 1.0 : 0.0).ToArray());
                }
            }
        }

        var missingTarget = Array.FindIndex(y!, double.IsNaN);
        return missingTarget >= 0
            ? throw new InvalidDataException($"{path}, line {missingTarget + 2}: the target '{target}' is empty; drop such rows first.")
            : new FeatureTable(names, [.. columns], y!);
    }

    private static bool TryNumeric(List<string> cells, out double[] values)
    {
        values = new double[cells.Count];
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i].Length == 0)
            {
                values[i] = double.NaN;
            }
            else if (!double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static string[] Split(string row)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < row.Length; i++)
        {
            var ch = row[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < row.Length && row[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(ch);
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                fields.Add(field.ToString().Trim());
                field.Clear();
            }
            else
            {
                field.Append(ch);
            }
        }

        fields.Add(field.ToString().Trim());
        return [.. fields];
    }
}
