using System.Numerics.Tensors;

namespace Fluid.Aspire.Samples.LinearRegression.Model;

/// <summary>
/// The exact least-squares fit, for few features: solve the normal equations of the standardized features with a
/// Cholesky factorization. Standardizing keeps them well conditioned when features differ in scale by orders of
/// magnitude (years against square feet), and reading columns straight from the store makes every pass a dot product.
/// </summary>
public static class LeastSquares
{
    public static LinearModel Fit(IReadOnlyList<string> names, IReadOnlyList<ReadOnlyMemory<double>> columns, ReadOnlyMemory<double> target)
    {
        var p = columns.Count;
        var n = target.Length;
        var y = target;
        var means = new double[p];
        var scales = new double[p];
        for (var j = 0; j < p; j++)
        {
            var column = columns[j].Span;
            means[j] = TensorPrimitives.Sum(column) / n;
            var squares = TensorPrimitives.Dot(column, column) / n;
            scales[j] = Math.Sqrt(Math.Max(squares - (means[j] * means[j]), 0));
        }

        var targetMean = TensorPrimitives.Sum(y.Span) / n;

        // Gram matrix of the standardized features, from raw dot products: (x·y - n·mx·my) / (sx·sy).
        var gram = new double[p, p];
        var right = new double[p];
        Parallel.For(0, p, i =>
        {
            var xi = columns[i].Span;
            for (var j = 0; j <= i; j++)
            {
                var value = scales[i] == 0 || scales[j] == 0
                    ? (i == j ? 1 : 0)
                    : (TensorPrimitives.Dot(xi, columns[j].Span) - (n * means[i] * means[j])) / (scales[i] * scales[j]);
                gram[i, j] = value;
                gram[j, i] = value;
            }

            right[i] = scales[i] == 0 ? 0 : (TensorPrimitives.Dot(xi, y.Span) - (n * means[i] * targetMean)) / scales[i];
        });

        // A vanishing ridge keeps the factorization defined when a column is a combination of others (one-hot sets).
        for (var i = 0; i < p; i++)
        {
            gram[i, i] += 1e-9 * n;
        }

        var standardized = Solve(gram, right);
        var weights = new double[p];
        var intercept = targetMean;
        for (var j = 0; j < p; j++)
        {
            weights[j] = scales[j] == 0 ? 0 : standardized[j] / scales[j];
            intercept -= weights[j] * means[j];
        }

        return new LinearModel(names, weights, intercept, "least-squares");
    }

    /// <summary>Solves A·x = b for symmetric positive definite A (Cholesky: A = L·Lᵀ).</summary>
    private static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var l = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[i, j];
                for (var k = 0; k < j; k++)
                {
                    sum -= l[i, k] * l[j, k];
                }

                l[i, j] = i == j
                    ? Math.Sqrt(sum > 0 ? sum : throw new InvalidOperationException("The features are linearly dependent; drop a redundant one."))
                    : sum / l[j, j];
            }
        }

        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            var sum = b[i];
            for (var k = 0; k < i; k++)
            {
                sum -= l[i, k] * y[k];
            }

            y[i] = sum / l[i, i];
        }

        var x = new double[n];
        for (var i = n - 1; i >= 0; i--)
        {
            var sum = y[i];
            for (var k = i + 1; k < n; k++)
            {
                sum -= l[k, i] * x[k];
            }

            x[i] = sum / l[i, i];
        }

        return x;
    }
}
