using Fluid.Aspire.Samples.LinearRegression.Data;
using Fluid.Aspire.Samples.LinearRegression.Exchange;
using Fluid.Aspire.Samples.LinearRegression.Model;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>The sample's ML.NET model against the exact least-squares fit (QR), on the synthetic table and on tables made to be hard.</summary>
public sealed class PriceModelTests
{
    [Fact]
    public void On_the_synthetic_table_it_scores_within_0_01_of_the_exact_fit_and_finds_the_true_coefficients()
    {
        var split = Preparation.Prepare(SyntheticHousing.Generate(20_000, seed: 5), dropOutliers: true, seed: 5);
        using var train = Views.Of(split.Train);
        using var test = Views.Of(split.Test);

        var model = PriceModel.Train(train.Features, train.Target);

        var exact = ReferenceFit.RSquaredOn(split);
        var scores = model.Score(test.Features, test.Target).Scores;
        TestContext.Current.TestOutputHelper?.WriteLine($"R² {scores.RSquared:0.000000} (ML.NET) against {exact:0.000000} (exact least squares)");
        Assert.True(scores.RSquared >= exact - 0.01, $"R² {scores.RSquared} is more than 0.01 below the exact fit's {exact}.");
        // Quality, the first feature whose coefficient is far above the noise's reach.
        var coefficients = model.Coefficients();
        Assert.Equal(split.Train.Names, coefficients.Features);
        Assert.Equal(9_500, coefficients.Weights[split.Train.Names.ToList().IndexOf("OverallQual")], 9_500 * 0.05);
    }

    [Fact]
    public void Features_whose_scales_differ_by_orders_of_magnitude_get_their_coefficients_back()
    {
        var random = new Random(3);
        var year = Enumerable.Range(0, 2_000).Select(_ => (double)random.Next(1900, 2010)).ToArray();
        var area = Enumerable.Range(0, 2_000).Select(_ => random.Next(1_000, 200_000) * 1.0).ToArray();
        var rooms = Enumerable.Range(0, 2_000).Select(_ => (double)random.Next(1, 9)).ToArray();
        var price = Enumerable.Range(0, 2_000).Select(i => -50_000 + (120 * year[i]) + (0.4 * area[i]) - (3_000 * rooms[i])).ToArray();
        using var data = Views.Of(new FeatureTable(["year", "area", "rooms"], [year, area, rooms], price));

        var coefficients = PriceModel.Train(data.Features, data.Target).Coefficients();

        Assert.Equal(120, coefficients.Weights[0], 120 * 0.05);
        Assert.Equal(0.4, coefficients.Weights[1], 0.4 * 0.05);
        Assert.Equal(-3_000, coefficients.Weights[2], 3_000 * 0.05);
    }

    [Fact]
    public void A_constant_column_gets_no_weight()
    {
        var x = Enumerable.Range(0, 1_000).Select(i => (double)i).ToArray();
        var constant = Enumerable.Repeat(5.0, 1_000).ToArray();
        using var data = Views.Of(new FeatureTable(["x", "constant"], [x, constant], [.. x.Select(v => (2 * v) + 1)]));

        var coefficients = PriceModel.Train(data.Features, data.Target).Coefficients();

        Assert.Equal(2, coefficients.Weights[0], 2 * 0.02);
        Assert.Equal(0, coefficients.Weights[1]);
    }

    [Fact]
    public void A_one_hot_set_beside_the_intercept_fits_as_well_as_the_exact_fit()
    {
        var random = new Random(11);
        var category = Enumerable.Range(0, 3_000).Select(_ => random.Next(3)).ToArray();
        var size = Enumerable.Range(0, 3_000).Select(_ => random.NextDouble() * 100).ToArray();
        double[][] columns = [size, .. Enumerable.Range(0, 3).Select(k => category.Select(c => c == k ? 1.0 : 0.0).ToArray())];
        var price = Enumerable.Range(0, 3_000).Select(i => (3 * size[i]) + (category[i] * 50) + (random.NextDouble() * 10)).ToArray();
        using var data = Views.Of(new FeatureTable(["size", "c=0", "c=1", "c=2"], columns, price));

        var scores = PriceModel.Train(data.Features, data.Target).Score(data.Features, data.Target).Scores;
        var reference = new ReferenceFit(data.Features, data.Target);

        Assert.Equal(3, reference.ColumnsUsed);
        Assert.True(scores.RSquared >= reference.RSquared(data.Features, data.Target) - 0.01, $"R² {scores.RSquared}");
    }

    [Fact]
    public void The_same_rows_train_the_same_model()
    {
        var split = Preparation.Prepare(SyntheticHousing.Generate(5_000, seed: 8), dropOutliers: true, seed: 8);
        using var train = Views.Of(split.Train);
        using var test = Views.Of(split.Test);

        var first = PriceModel.Train(train.Features, train.Target).Score(test.Features, test.Target).Predictions;
        var second = PriceModel.Train(train.Features, train.Target).Score(test.Features, test.Target).Predictions;

        Assert.Equal(first, second);
    }

    [Fact]
    public void A_model_read_back_from_its_bytes_predicts_the_same_and_keeps_its_feature_names()
    {
        var split = Preparation.Prepare(SyntheticHousing.Generate(5_000, seed: 9), dropOutliers: true, seed: 9);
        using var train = Views.Of(split.Train);
        using var test = Views.Of(split.Test);
        var model = PriceModel.Train(train.Features, train.Target);

        var back = PriceModel.FromBytes(model.ToBytes());

        Assert.Equal(model.Score(test.Features, test.Target), back.Score(test.Features, test.Target), (a, b) => a.Predictions.SequenceEqual(b.Predictions) && a.Scores == b.Scores);
        Assert.Equal(model.Coefficients().Features, back.Coefficients().Features);
        Assert.Equal(model.Coefficients().Weights, back.Coefficients().Weights);
    }

    [Fact]
    public void The_scores_are_those_of_their_definitions_over_the_predictions()
    {
        var split = Preparation.Prepare(SyntheticHousing.Generate(5_000, seed: 10), dropOutliers: true, seed: 10);
        using var train = Views.Of(split.Train);
        using var test = Views.Of(split.Test);

        var (scores, predictions) = PriceModel.Train(train.Features, train.Target).Score(test.Features, test.Target);

        var actual = split.Test.Target;
        var errors = actual.Zip(predictions, (a, p) => a - p).ToArray();
        var mse = errors.Average(e => e * e);
        Assert.Equal(actual.Length, scores.Rows);
        Assert.Equal(mse, scores.MeanSquaredError, mse * 1e-5);
        Assert.Equal(Math.Sqrt(mse), scores.RootMeanSquaredError, Math.Sqrt(mse) * 1e-5);
        Assert.Equal(errors.Average(Math.Abs), scores.MeanAbsoluteError, errors.Average(Math.Abs) * 1e-5);
        Assert.Equal(ReferenceFit.RSquared(actual, [.. predictions.Select(p => (double)p)]), scores.RSquared, 1e-5);
    }

    [Fact]
    public void A_target_that_does_not_match_the_features_is_refused_saying_so()
    {
        using var features = ColumnsView.Of(["x"], [[1, 2, 3]]);
        using var target = ColumnsView.Of(["price"], [[1, 2]]);

        var error = Assert.Throws<ArgumentException>(() => PriceModel.Train(features, target));

        Assert.Contains("2 rows for 3 rows", error.Message, StringComparison.Ordinal);
    }
}
