using MathNet.Numerics.LinearAlgebra;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>
/// An exact least-squares fit by QR decomposition of the design matrix (intercept column first), independent of the
/// sample's normal equations. Constant columns, and the last column of each one-hot set (<c>name=category</c>), which
/// the intercept and the others of its set already span, are left out: the fitted values, all that R² needs, stay the same.
/// </summary>
internal sealed class ReferenceFit
{
    private readonly int[] _kept;
    private readonly Vector<double> _coefficients;

    public ReferenceFit(IReadOnlyList<string> names, IReadOnlyList<ReadOnlyMemory<double>> columns, ReadOnlySpan<double> target)
    {
        static string Set(string name) => name.Contains('=', StringComparison.Ordinal) ? name[..name.IndexOf('=', StringComparison.Ordinal)] : "";
        _kept = [.. Enumerable.Range(0, columns.Count).Where(c =>
            columns[c].Span.ContainsAnyExcept(columns[c].Span[0])
            && !(Set(names[c]).Length > 0 && (c + 1 == names.Count || Set(names[c + 1]) != Set(names[c]))))];
        var rows = target.Length;
        var design = Matrix<double>.Build.Dense(rows, _kept.Length + 1, (r, k) => k == 0 ? 1 : columns[_kept[k - 1]].Span[r]);
        _coefficients = design.QR().Solve(Vector<double>.Build.DenseOfArray(target.ToArray()));
    }

    public int ColumnsUsed => _kept.Length;

    public double[] Predict(IReadOnlyList<ReadOnlyMemory<double>> columns, int rows)
    {
        var predictions = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            var value = _coefficients[0];
            for (var k = 0; k < _kept.Length; k++)
            {
                value += _coefficients[k + 1] * columns[_kept[k]].Span[r];
            }

            predictions[r] = value;
        }

        return predictions;
    }

    /// <summary>1 - residual sum of squares / total sum of squares, in doubles.</summary>
    public static double RSquared(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        var mean = 0.0;
        foreach (var value in actual)
        {
            mean += value / actual.Length;
        }

        double residual = 0, total = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            residual += (actual[i] - predicted[i]) * (actual[i] - predicted[i]);
            total += (actual[i] - mean) * (actual[i] - mean);
        }

        return 1 - (residual / total);
    }
}
