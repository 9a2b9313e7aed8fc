using System.Numerics.Tensors;
using System.Text.Json;

namespace Fluid.Aspire.Samples.LinearRegression.Model;

/// <summary>A fitted linear model: price = intercept + Σ weight × feature.</summary>
public sealed record LinearModel(IReadOnlyList<string> Features, double[] Weights, double Intercept, string Trainer)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Predictions for every row of <paramref name="columns"/>, one column at a time (vectorized).</summary>
    public double[] Predict(IReadOnlyList<ReadOnlyMemory<double>> columns, int rows)
    {
        var predictions = new double[rows];
        Array.Fill(predictions, Intercept);
        for (var c = 0; c < Weights.Length; c++)
        {
            TensorPrimitives.MultiplyAdd(columns[c].Span, Weights[c], predictions, predictions);
        }

        return predictions;
    }

    /// <summary>The model as columns, for the exchange: one column per feature holding its weight, and the intercept.</summary>
    public (IReadOnlyList<string> Names, IReadOnlyList<double[]> Values) ToColumns() =>
        ([.. Features, "(intercept)"], [.. Weights.Select(w => new[] { w }), new[] { Intercept }]);

    public static LinearModel FromColumns(IReadOnlyList<string> names, IReadOnlyList<ReadOnlyMemory<double>> values, string trainer) =>
        new(names.Take(names.Count - 1).ToArray(), values.Take(values.Count - 1).Select(v => v.Span[0]).ToArray(), values[^1].Span[0], trainer);

    public string ToJson() => JsonSerializer.Serialize(new
    {
        trainer = Trainer,
        intercept = Intercept,
        weights = Features.Zip(Weights).ToDictionary(p => p.First, p => p.Second),
    }, Indented);
}
