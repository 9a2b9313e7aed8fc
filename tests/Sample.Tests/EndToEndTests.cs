using System.Text.RegularExpressions;
using Fluid.Aspire.Samples.LinearRegression.Data;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>The sample as a user runs it, against a local stack of two nodes: its steps are processes the controller starts.</summary>
public sealed partial class EndToEndTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Both_exchanges_run_the_flow_to_the_same_metrics_and_leave_nothing_behind()
    {
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);

        var objectStore = await RunSampleAsync(cluster, "objectstore");
        var files = await RunSampleAsync(cluster, "files");

        Assert.Equal(objectStore.Groups["metrics"].Value, files.Groups["metrics"].Value);
        Assert.Equal("20000", objectStore.Groups["rows"].Value);
        // The run's table and split are those of its seed: the exact least-squares fit of the same rows, done here, is the bar.
        var exact = ReferenceFit.RSquaredOn(Preparation.Prepare(SyntheticHousing.Generate(20_000, seed: 42), dropOutliers: true, seed: 42));
        var r2 = double.Parse(objectStore.Groups["r2"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(r2 >= exact - 0.01, $"The sample's R² {r2} is more than 0.01 below the exact fit's {exact}.");
        // Known coefficients plus noise of 15,000: a fit that found them explains nearly all of the price.
        Assert.InRange(exact, 0.9, 1.0);
        foreach (var store in cluster.ObjectStores)
        {
            await using var client = await store.ConnectAsync(Cancellation);
            Assert.Equal(0, (await client.GetStatsAsync(Cancellation)).Objects);
        }
    }

    private static async Task<Match> RunSampleAsync(LocalCluster cluster, string exchange)
    {
        using var work = new TemporaryDirectory();
        await using var sample = ChildProcess.StartDotnet(RepositoryPaths.Output("samples/LinearRegression", "Fluid.Aspire.Samples.LinearRegression"),
            ["--rows", "20000", "--exchange", exchange, "--run-id", $"e2e-{exchange}"],
            new Dictionary<string, string?> { ["ConnectionStrings__fluid"] = cluster.ConnectionString, ["TMPDIR"] = work.Path });
        // A bound for a hung run, not a speed check: beside other suites a run of seconds took over 2 minutes once.
        var exitCode = await sample.WaitForExitAsync(TimeSpan.FromMinutes(5), Cancellation);
        TestContext.Current.TestOutputHelper?.WriteLine($"--- the sample with {exchange} ---\n{sample.Output}");

        Assert.True(exitCode == 0, $"The sample failed with {exchange}:\n{sample.Output}\n--- controller ---\n{cluster.Controller.Output}");
        var result = Result().Match(sample.Output);
        Assert.True(result.Success, $"No RESULT line with {exchange}:\n{sample.Output}");
        Assert.Equal(exchange, result.Groups["exchange"].Value);
        return result;
    }

    [GeneratedRegex(@"^RESULT (?<metrics>r2=(?<r2>\S+) rmse=\S+ mae=\S+) rows=(?<rows>\d+) exchange=(?<exchange>\S+) seconds=\S+$", RegexOptions.Multiline)]
    private static partial Regex Result();
}
