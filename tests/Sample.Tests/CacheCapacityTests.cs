using Fluid.Aspire.Samples.LinearRegression.Pipeline;

namespace Fluid.Aspire.Sample.Tests;

public sealed class CacheCapacityTests
{
    private const long MiB = 1L << 20;
    private const long GiB = 1L << 30;

    [Fact]
    public void Small_data_asks_for_one_granule()
    {
        Assert.Equal(CacheCapacity.Granule, CacheCapacity.Plan(7 * MiB, 16 * GiB, replicas: 2, storeCapacityBytes: 64 * MiB));
    }

    [Fact]
    public void The_quota_covers_the_data_with_a_quarter_of_headroom_in_whole_granules()
    {
        var data = CacheCapacity.EstimateDataBytes(new PipelineOptions { Rows = 600_000 });

        var quota = CacheCapacity.Plan(data, 16 * GiB, replicas: 2, storeCapacityBytes: GiB);

        Assert.Equal(600_000L * 46 * sizeof(double), data);
        Assert.Equal(0, quota % CacheCapacity.Granule);
        Assert.InRange(quota, data * 5 / 4, (data * 5 / 4) + CacheCapacity.Granule);
    }

    [Fact]
    public void Data_the_machine_cannot_hold_is_refused_with_what_to_change()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CacheCapacity.Plan(4 * GiB, 8 * GiB, replicas: 2, storeCapacityBytes: null));

        Assert.Contains("--rows", error.Message, StringComparison.Ordinal);
        Assert.Contains("--cache-capacity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_larger_than_the_stacks_object_stores_is_refused_with_what_to_change()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CacheCapacity.Plan(GiB, 64 * GiB, replicas: 2, storeCapacityBytes: GiB));

        Assert.Contains("the nodes' object stores hold 1,024 MiB", error.Message, StringComparison.Ordinal);
        Assert.Contains("(./run.sh --store-memory 1280Mi)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chosen_quota_larger_than_the_stores_is_refused_at_once_with_both_sizes()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CacheCapacity.Chosen(1.5, GiB));

        Assert.Equal(1.5, CacheCapacity.Chosen(1.5, 2 * GiB));
        Assert.Equal(
            "--cache-capacity 1.5 asks 1,536 MiB of each node's object store, and the stores hold 1,024 MiB. Ask for less, or start the stack with stores that large (./run.sh --store-memory 1536Mi).",
            error.Message);
    }

    [Fact]
    public void A_CSV_is_sized_from_its_file()
    {
        using var directory = new TestSupport.TemporaryDirectory();
        var file = directory.CreateFile("data.csv");
        File.WriteAllText(file, new string('1', 1000));

        Assert.Equal(2000, CacheCapacity.EstimateDataBytes(new PipelineOptions { Input = file }));
        Assert.True(CacheCapacity.AvailableMemoryBytes() > 0);
    }

    [Fact]
    public void A_url_is_sized_from_its_listing_and_counts_as_nothing_before()
    {
        var options = new PipelineOptions { Input = "s3://housing/raw/housing.csv" };

        Assert.True(options.IsRemoteInput);
        Assert.Equal(3000, CacheCapacity.EstimateDataBytes(options, remoteInputBytes: 1500));
        Assert.Equal(0, CacheCapacity.EstimateDataBytes(options));
        Assert.False(new PipelineOptions { Input = "/data/s3-exports/housing.csv" }.IsRemoteInput);
    }
}
