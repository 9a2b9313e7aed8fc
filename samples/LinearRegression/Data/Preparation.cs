namespace Fluid.Aspire.Samples.LinearRegression.Data;

/// <summary>The train and test sets a preprocessing step hands on.</summary>
public sealed record SplitData(FeatureTable Train, FeatureTable Test, int DroppedOutliers, int ImputedCells);

/// <summary>Preprocessing: outliers dropped, missing values imputed, then a seeded 80/20 split.</summary>
public static class Preparation
{
    public const double TestShare = 0.2;

    /// <param name="table">The table, categorical columns already one-hot encoded.</param>
    /// <param name="dropOutliers">Drop houses with a living area above <see cref="SyntheticHousing.OutlierLivingArea"/> (the synthetic table's rule).</param>
    /// <param name="seed">The seed of the split.</param>
    public static SplitData Prepare(FeatureTable table, bool dropOutliers, int seed)
    {
        var imputed = Impute(table);
        var kept = new List<int>(table.Rows);
        var livingArea = dropOutliers ? table.Columns[IndexOf(table, "GrLivArea")] : null;
        for (var r = 0; r < table.Rows; r++)
        {
            if (livingArea is null || livingArea[r] <= SyntheticHousing.OutlierLivingArea)
            {
                kept.Add(r);
            }
        }

        // A seeded shuffle, then the first 80% train: the split is the same on every run and machine.
        var rows = kept.ToArray();
        new Random(seed).Shuffle(rows);
        var trainRows = (int)Math.Round(rows.Length * (1 - TestShare));
        return new SplitData(table.Select(rows.AsSpan(0, trainRows)), table.Select(rows.AsSpan(trainRows)), table.Rows - rows.Length, imputed);
    }

    /// <summary>Replaces NaN cells with the median of their column; returns how many.</summary>
    private static int Impute(FeatureTable table)
    {
        var imputed = 0;
        foreach (var column in table.Columns)
        {
            var missing = column.Count(double.IsNaN);
            if (missing == 0)
            {
                continue;
            }

            var present = column.Where(v => !double.IsNaN(v)).Order().ToArray();
            var median = present.Length == 0 ? 0 : present[present.Length / 2];
            for (var i = 0; i < column.Length; i++)
            {
                if (double.IsNaN(column[i]))
                {
                    column[i] = median;
                }
            }

            imputed += missing;
        }

        return imputed;
    }

    private static int IndexOf(FeatureTable table, string name)
    {
        for (var i = 0; i < table.Names.Count; i++)
        {
            if (table.Names[i] == name)
            {
                return i;
            }
        }

        throw new ArgumentException($"The table has no column {name}.", nameof(name));
    }
}
