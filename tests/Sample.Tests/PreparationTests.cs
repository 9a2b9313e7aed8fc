using Fluid.Aspire.Samples.LinearRegression.Data;

namespace Fluid.Aspire.Sample.Tests;

public sealed class PreparationTests
{
    [Fact]
    public void Houses_above_the_living_area_limit_are_dropped_when_asked_and_kept_otherwise()
    {
        var livingArea = new double[] { 1000, 4800, 4801, 6000, 2000 };
        var table = new FeatureTable(["GrLivArea"], [livingArea], [1, 2, 3, 4, 5]);

        var dropped = Preparation.Prepare(table, dropOutliers: true, seed: 1);
        var kept = Preparation.Prepare(table, dropOutliers: false, seed: 1);

        Assert.Equal(2, dropped.DroppedOutliers);
        Assert.All(dropped.Train.Columns[0].Concat(dropped.Test.Columns[0]), area => Assert.True(area <= SyntheticHousing.OutlierLivingArea));
        Assert.Equal(0, kept.DroppedOutliers);
        Assert.Equal(5, kept.Train.Rows + kept.Test.Rows);
    }

    [Fact]
    public void Missing_cells_take_the_median_of_their_column()
    {
        var table = new FeatureTable(["x", "y"], [[1, double.NaN, 3, 10, double.NaN], [1, 2, 3, 4, 5]], [0, 1, 2, 3, 4]);

        var split = Preparation.Prepare(table, dropOutliers: false, seed: 1);

        Assert.Equal(2, split.ImputedCells);
        var x = split.Train.Columns[0].Concat(split.Test.Columns[0]).Order().ToArray();
        Assert.Equal([1, 3, 3, 3, 10], x);
    }

    [Fact]
    public void The_split_is_eighty_twenty_disjoint_complete_and_the_same_for_the_same_seed()
    {
        var rows = 1000;
        var id = Enumerable.Range(0, rows).Select(i => (double)i).ToArray();
        var table = new FeatureTable(["id"], [id], [.. id.Select(i => i * 2)]);

        var first = Preparation.Prepare(table, dropOutliers: false, seed: 42);
        var again = Preparation.Prepare(table, dropOutliers: false, seed: 42);
        var other = Preparation.Prepare(table, dropOutliers: false, seed: 7);

        Assert.Equal(800, first.Train.Rows);
        Assert.Equal(200, first.Test.Rows);
        Assert.Equal(id, first.Train.Columns[0].Concat(first.Test.Columns[0]).Order());
        Assert.Equal(first.Train.Columns[0], again.Train.Columns[0]);
        Assert.NotEqual(first.Train.Columns[0], other.Train.Columns[0]);
        // Rows move whole: each target stays with its features.
        Assert.Equal(first.Train.Columns[0].Select(i => i * 2), first.Train.Target);
    }

    [Fact]
    public void The_synthetic_table_has_outliers_and_missing_lot_frontage_to_prepare()
    {
        var table = SyntheticHousing.Generate(20_000, seed: 42);

        var split = Preparation.Prepare(table, dropOutliers: true, seed: 42);

        Assert.Equal(SyntheticHousing.Features.Count, table.Names.Count);
        Assert.InRange(split.DroppedOutliers, 1, 2_000);
        Assert.InRange(split.ImputedCells, 500, 1_500);
        Assert.Equal(table.Rows - split.DroppedOutliers, split.Train.Rows + split.Test.Rows);
        Assert.Equal(table.Target, SyntheticHousing.Generate(20_000, seed: 42).Target);
        Assert.True(table.Target.Min() > 0, $"A house of the synthetic table is priced {table.Target.Min():N0}; prices are positive.");
    }
}
