using System.Text.RegularExpressions;
using Fluid.Aspire.Samples.LinearRegression.Data;
using Fluid.Aspire.TestSupport;
using Fluid.Aspire.TestSupport.StorageServers;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>
/// The sample as a user runs it, against a local stack of two nodes: its steps are processes the controller starts; a
/// CSV given as a URL is read through the nodes' cache agents from a real nginx or S3 server.
/// </summary>
public sealed partial class EndToEndTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Both_exchanges_run_the_flow_to_the_same_metrics_and_leave_nothing_behind()
    {
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);

        var objectStore = await RunSampleAsync(cluster, "objectstore");
        var files = await RunSampleAsync(cluster, "files");
        Assert.Equal(("objectstore", "files"), (objectStore.Groups["exchange"].Value, files.Groups["exchange"].Value));

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

    [Fact]
    public async Task A_csv_served_over_http_or_from_s3_is_read_through_the_cache_to_the_metrics_of_the_same_file_on_disk()
    {
        var csv = Path.Combine(RepositoryPaths.Root, "samples", "data", "california_housing.csv");
        await using var nginx = await NginxServer.StartAsync(Cancellation);
        File.Copy(csv, Path.Combine(nginx.DataDirectory, "housing.csv"));
        await using var s3 = await S3Server.StartAsync("housing", Cancellation);
        await s3.PutObjectAsync("raw/housing.csv", await File.ReadAllBytesAsync(csv, Cancellation), Cancellation);
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);
        string[] target = ["--target", "median_house_value"];

        var local = await RunSampleAsync(cluster, "file", ["--input", csv, .. target]);
        var http = await RunSampleAsync(cluster, "http", ["--input", new Uri(nginx.BaseUrl, "data/housing.csv").AbsoluteUri, .. target]);
        var fromS3 = await RunSampleAsync(cluster, "s3",
            ["--input", "s3://housing/raw/housing.csv", "--input-option", $"endpoint={s3.Endpoint.AbsoluteUri}", "--input-option", "pathStyle=true", .. target]);

        Assert.Equal("20640", local.Groups["rows"].Value);
        Assert.Equal(local.Groups["metrics"].Value, http.Groups["metrics"].Value);
        Assert.Equal(local.Groups["metrics"].Value, fromS3.Groups["metrics"].Value);
        await using var client = new Sdk.FluidClient(new Sdk.ClientConfig { ConnectionString = cluster.ConnectionString });
        Assert.Empty((await client.Store.ListAsync<Contracts.Datasets.Dataset>(cancellationToken: Cancellation)).Items);
    }

    private static Task<Match> RunSampleAsync(LocalCluster cluster, string exchange) =>
        RunSampleAsync(cluster, exchange, ["--rows", "20000", "--exchange", exchange]);

    private static async Task<Match> RunSampleAsync(LocalCluster cluster, string name, string[] arguments)
    {
        using var work = new TemporaryDirectory();
        await using var sample = ChildProcess.StartDotnet(RepositoryPaths.Output("samples/LinearRegression", "Fluid.Aspire.Samples.LinearRegression"),
            [.. arguments, "--run-id", $"e2e-{name}"],
            new Dictionary<string, string?> { ["ConnectionStrings__fluid"] = cluster.ConnectionString, ["TMPDIR"] = work.Path });
        // A bound for a hung run, not a speed check: beside other suites a run of seconds took over 2 minutes once.
        var exitCode = await sample.WaitForExitAsync(TimeSpan.FromMinutes(5), Cancellation);
        TestContext.Current.TestOutputHelper?.WriteLine($"--- the sample, {name} ---\n{sample.Output}");

        Assert.True(exitCode == 0, $"The sample failed ({name}):\n{sample.Output}\n--- controller ---\n{cluster.Controller.Output}" +
            $"\n--- agents ---\n{string.Join("\n", cluster.CacheAgents.Select(a => ChildProcess.Tail(a.Output, 30)))}");
        var result = Result().Match(sample.Output);
        Assert.True(result.Success, $"No RESULT line ({name}):\n{sample.Output}");
        return result;
    }

    [GeneratedRegex(@"^RESULT (?<metrics>r2=(?<r2>\S+) rmse=\S+ mae=\S+) rows=(?<rows>\d+) exchange=(?<exchange>\S+) seconds=\S+$", RegexOptions.Multiline)]
    private static partial Regex Result();
}
