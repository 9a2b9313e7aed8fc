using System.Numerics.Tensors;
using Apache.Arrow;
using Fluid.Aspire.ObjectStore.Client.ML;
using Microsoft.ML;

namespace Fluid.Aspire.Samples.LinearRegression.Model;

/// <summary>The regression metrics of a model on a test set.</summary>
public sealed record RegressionScores(double RSquared, double RootMeanSquaredError, double MeanAbsoluteError, double MeanSquaredError, int Rows)
{
    /// <summary>Computed by ML.NET's regression evaluator, over the actual and predicted values.</summary>
    public static RegressionScores Evaluate(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        var labels = new float[actual.Length];
        var scores = new float[predicted.Length];
        TensorPrimitives.ConvertTruncating<double, float>(actual, labels);
        TensorPrimitives.ConvertTruncating<double, float>(predicted, scores);
        using var batch = new RecordBatch.Builder()
            .Append("Label", false, c => c.Float(b => b.AppendRange(labels)))
            .Append("Score", false, c => c.Float(b => b.AppendRange(scores)))
            .Build();
        var metrics = new MLContext(seed: 0).Regression.Evaluate(new RecordBatchDataView(batch));
        return new RegressionScores(metrics.RSquared, metrics.RootMeanSquaredError, metrics.MeanAbsoluteError, metrics.MeanSquaredError, actual.Length);
    }
}
