using Fluid.Aspire.Samples.LinearRegression.Data;
using Fluid.Aspire.Samples.LinearRegression.Model;

namespace Fluid.Aspire.Sample.Tests;

public sealed class LeastSquaresTests
{
    [Fact]
    public void Noiseless_data_gives_back_its_coefficients_whatever_the_scales_of_the_features()
    {
        var random = new Random(3);
        var year = Enumerable.Range(0, 500).Select(_ => (double)random.Next(1900, 2010)).ToArray();
        var area = Enumerable.Range(0, 500).Select(_ => random.Next(1_000, 200_000) * 1.0).ToArray();
        var rooms = Enumerable.Range(0, 500).Select(_ => (double)random.Next(1, 9)).ToArray();
        var price = Enumerable.Range(0, 500).Select(i => -50_000 + (120 * year[i]) + (0.4 * area[i]) - (3_000 * rooms[i])).ToArray();

        var model = LeastSquares.Fit(["year", "area", "rooms"], [year, area, rooms], price);

        Assert.Equal(120, model.Weights[0], 1e-6);
        Assert.Equal(0.4, model.Weights[1], 1e-9);
        Assert.Equal(-3_000, model.Weights[2], 1e-5);
        Assert.Equal(-50_000, model.Intercept, 1e-2);
    }

    [Fact]
    public void A_constant_column_gets_no_weight()
    {
        var x = Enumerable.Range(0, 100).Select(i => (double)i).ToArray();
        var constant = Enumerable.Repeat(5.0, 100).ToArray();

        var model = LeastSquares.Fit(["x", "constant"], [x, constant], x.Select(v => (2 * v) + 1).ToArray());

        Assert.Equal(2, model.Weights[0], 1e-6);
        Assert.Equal(0, model.Weights[1]);
        Assert.Equal(1, model.Intercept, 1e-6);
    }

    [Fact]
    public void On_the_synthetic_table_it_predicts_as_an_independent_QR_fit_does_and_finds_the_true_coefficients()
    {
        var split = Preparation.Prepare(SyntheticHousing.Generate(20_000, seed: 5), dropOutliers: true, seed: 5);
        ReadOnlyMemory<double>[] train = [.. split.Train.Columns.Select(c => (ReadOnlyMemory<double>)c)];
        ReadOnlyMemory<double>[] test = [.. split.Test.Columns.Select(c => (ReadOnlyMemory<double>)c)];

        var model = LeastSquares.Fit(split.Train.Names, train, split.Train.Target);
        var reference = new ReferenceFit(split.Train.Names, train, split.Train.Target);

        var predicted = model.Predict(test, split.Test.Rows);
        var expected = reference.Predict(test, split.Test.Rows);
        for (var i = 0; i < predicted.Length; i++)
        {
            Assert.Equal(expected[i], predicted[i], 1e-3);
        }

        // Quality, the first feature whose coefficient is far above the noise's reach.
        var quality = split.Train.Names.ToList().IndexOf("OverallQual");
        Assert.Equal(9_500, model.Weights[quality], 9_500 * 0.05);
    }

    [Fact]
    public void A_one_hot_set_beside_the_intercept_still_fits_as_the_reference_does()
    {
        var random = new Random(11);
        var category = Enumerable.Range(0, 300).Select(_ => random.Next(3)).ToArray();
        var size = Enumerable.Range(0, 300).Select(_ => random.NextDouble() * 100).ToArray();
        double[][] columns = [size, .. Enumerable.Range(0, 3).Select(k => category.Select(c => c == k ? 1.0 : 0.0).ToArray())];
        var price = Enumerable.Range(0, 300).Select(i => (3 * size[i]) + (category[i] * 50) + random.NextDouble()).ToArray();
        ReadOnlyMemory<double>[] memory = [.. columns.Select(c => (ReadOnlyMemory<double>)c)];

        var model = LeastSquares.Fit(["size", "c=0", "c=1", "c=2"], memory, price);
        var reference = new ReferenceFit(["size", "c=0", "c=1", "c=2"], memory, price);

        Assert.Equal(3, reference.ColumnsUsed);
        Assert.Equal(reference.Predict(memory, 300), model.Predict(memory, 300), (a, b) => Math.Abs(a - b) < 1e-4);
    }
}
