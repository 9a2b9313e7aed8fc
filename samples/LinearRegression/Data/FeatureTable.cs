namespace Fluid.Aspire.Samples.LinearRegression.Data;

/// <summary>
/// A numeric table, column by column: the features a model is fitted on and the target it predicts. Column-major
/// because every step works a column at a time (scaling, dot products, Arrow and Parquet columns).
/// </summary>
public sealed class FeatureTable(IReadOnlyList<string> names, double[][] columns, double[] target)
{
    public IReadOnlyList<string> Names { get; } = names;

    public double[][] Columns { get; } = columns;

    public double[] Target { get; } = target;

    public int Rows => Target.Length;

    /// <summary>The rows at <paramref name="indices"/>, in that order.</summary>
    public FeatureTable Select(ReadOnlySpan<int> indices)
    {
        var columns = new double[Columns.Length][];
        for (var c = 0; c < Columns.Length; c++)
        {
            columns[c] = Gather(Columns[c], indices);
        }

        return new FeatureTable(Names, columns, Gather(Target, indices));
    }

    private static double[] Gather(double[] source, ReadOnlySpan<int> indices)
    {
        var result = GC.AllocateUninitializedArray<double>(indices.Length);
        for (var i = 0; i < indices.Length; i++)
        {
            result[i] = source[indices[i]];
        }

        return result;
    }
}
