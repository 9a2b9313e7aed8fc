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

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        await using var sample = ChildProcess.StartDotnet(RepositoryPaths.Output("samples/LinearRegression", "Fluid.Aspire.Samples.LinearRegression"), arguments);
        var exitCode = await sample.WaitForExitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        return (exitCode, sample.Output);
    }
}
