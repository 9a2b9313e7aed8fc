using System.Text.Json;

namespace Fluid.Aspire.Samples.LinearRegression.Model;

/// <summary>A fitted linear model's coefficients in the features' own units: price = intercept + Σ weight × feature.</summary>
public sealed record LinearModel(IReadOnlyList<string> Features, double[] Weights, double Intercept, string Trainer)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(new
    {
        trainer = Trainer,
        intercept = Intercept,
        weights = Features.Zip(Weights).ToDictionary(p => p.First, p => p.Second),
    }, Indented);
}
