using Fluid.Aspire.Samples.LinearRegression.Model;

namespace Fluid.Aspire.Sample.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void The_scores_are_those_of_their_definitions()
    {
        var scores = RegressionScores.Evaluate([1, 2, 3, 4], [1, 2, 3, 5]);

        Assert.Equal(0.25, scores.MeanSquaredError, 1e-9);
        Assert.Equal(0.5, scores.RootMeanSquaredError, 1e-9);
        Assert.Equal(0.25, scores.MeanAbsoluteError, 1e-9);
        Assert.Equal(1 - (1 / 5.0), scores.RSquared, 1e-9);
        Assert.Equal(4, scores.Rows);
    }

    [Fact]
    public void A_model_read_back_from_its_columns_predicts_the_same()
    {
        var model = new LinearModel(["a", "b"], [2, -1], 10, "least-squares");
        var (names, values) = model.ToColumns();

        var back = LinearModel.FromColumns(names, [.. values.Select(v => (ReadOnlyMemory<double>)v)], model.Trainer);

        ReadOnlyMemory<double>[] x = [new double[] { 1, 2 }, new double[] { 3, 5 }];
        Assert.Equal([9, 9], back.Predict(x, 2));
        Assert.Equal(model.Features, back.Features);
    }
}
