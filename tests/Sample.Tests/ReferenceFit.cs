using Fluid.Aspire.Samples.LinearRegression.Data;
using Fluid.Aspire.Samples.LinearRegression.Exchange;
using MathNet.Numerics.LinearAlgebra;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>
/// The exact least-squares fit, by QR decomposition of the design matrix (intercept column first): the independent
/// check of the sample's ML.NET model. Constant columns, and the last column of each one-hot set
/// (<c>name=category</c>), which the intercept and the others of its set already span, are left out: the fitted
/// values, all that R² needs, stay the same.
/// </summary>
internal sealed class ReferenceFit
{
    private readonly int[] _kept;
    private readonly Vector<double> _coefficients;

    public ReferenceFit(ColumnsView features, ColumnsView target)
    {
        var names = features.Names;
        static string Set(string name) => name.Contains('=', StringComparison.Ordinal) ? name[..name.IndexOf('=', StringComparison.Ordinal)] : "";
        _kept = [.. Enumerable.Range(0, names.Count).Where(c =>
            features.Values(c).ContainsAnyExcept(features.Values(c)[0])
            && !(Set(names[c]).Length > 0 && (c + 1 == names.Count || Set(names[c + 1]) != Set(names[c]))))];
        var design = Matrix<double>.Build.Dense(features.Rows, _kept.Length + 1, (r, k) => k == 0 ? 1 : features.Values(_kept[k - 1])[r]);
        _coefficients = design.QR().Solve(Vector<double>.Build.DenseOfArray(target.Values(0).ToArray()));
    }

    public int ColumnsUsed => _kept.Length;

    /// <summary>The fit of a table's train rows, scored on its test rows.</summary>
    public static double RSquaredOn(SplitData split)
    {
        using var train = Views.Of(split.Train);
        using var test = Views.Of(split.Test);
        return new ReferenceFit(train.Features, train.Target).RSquared(test.Features, test.Target);
    }

    public double[] Predict(ColumnsView features)
    {
        var predictions = new double[features.Rows];
        for (var r = 0; r < predictions.Length; r++)
        {
            var value = _coefficients[0];
            for (var k = 0; k < _kept.Length; k++)
            {
                value += _coefficients[k + 1] * features.Values(_kept[k])[r];
            }

            predictions[r] = value;
        }

        return predictions;
    }

    /// <summary>1 - residual sum of squares / total sum of squares, in doubles.</summary>
    public double RSquared(ColumnsView features, ColumnsView target) => RSquared(target.Values(0), Predict(features));

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
