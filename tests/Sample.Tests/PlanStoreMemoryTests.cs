using Fluid.Aspire.Samples.LinearRegression.Pipeline;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>What <c>./run.sh</c> asks the sample before it starts a stack: how large each node's object store must be.</summary>
public sealed class PlanStoreMemoryTests
{
    [Fact]
    public async Task The_plan_is_what_the_run_will_ask_of_each_store_and_a_chosen_capacity_wins()
    {
        var planned = await RunAsync("--plan-store-memory", "--rows", "3000000");
        var chosen = await RunAsync("--plan-store-memory", "--rows", "3000000", "--cache-capacity", "1.5");

        var expected = CacheCapacity.Plan(CacheCapacity.EstimateDataBytes(new PipelineOptions { Rows = 3_000_000 }), CacheCapacity.AvailableMemoryBytes(), 2, null);
        Assert.Equal((0, CacheCapacity.Quantity(expected)), (planned.ExitCode, planned.Output.Trim()));
        Assert.Equal((0, "1536Mi"), (chosen.ExitCode, chosen.Output.Trim()));
    }

    [Fact]
    public async Task A_capacity_that_is_not_a_number_is_one_error_line()
    {
        var run = await RunAsync("--plan-store-memory", "--cache-capacity", "lots");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--cache-capacity lots is not a size; give a positive number of GiB, e.g. --cache-capacity 0.5", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://example.org/housing.csv", "--input ftp://example.org/housing.csv: the sample reads files and http://, https://, s3:// URLs.")]
    [InlineData("/nowhere/housing.csv", "there is no file /nowhere/housing.csv")]
    public async Task An_input_the_sample_cannot_read_is_one_error_line(string input, string error)
    {
        var run = await RunAsync("--plan-store-memory", "--input", input);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: {error}", run.Output.Trim());
    }

    [Fact]
    public async Task An_input_option_that_is_not_key_value_is_one_error_line()
    {
        var run = await RunAsync("--plan-store-memory", "--input", "s3://housing/raw.csv", "--input-option", "endpoint");

        Assert.Equal((2, "error: --input-option endpoint is not KEY=VALUE; e.g. --input-option endpoint=http://127.0.0.1:9000"), (run.ExitCode, run.Output.Trim()));
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        await using var sample = ChildProcess.StartDotnet(RepositoryPaths.Output("samples/LinearRegression", "Fluid.Aspire.Samples.LinearRegression"), arguments);
        var exitCode = await sample.WaitForExitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        return (exitCode, sample.Output);
    }
}
