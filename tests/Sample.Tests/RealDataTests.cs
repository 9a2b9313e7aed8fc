using Fluid.Aspire.Samples.LinearRegression.Exchange;
using Fluid.Aspire.Samples.LinearRegression.Pipeline;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;
using StepReport = Fluid.Aspire.Samples.LinearRegression.Pipeline.StepReport;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>
/// The sample's three steps on real data (California housing), run in this process against a real object store: the
/// ML.NET model's R² checked against an exact least-squares fit computed here by QR on the very split the steps handed on.
/// </summary>
public sealed class RealDataTests
{
    private const int Rows = 20_640;
    private const int MissingBedrooms = 207;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task On_california_housing_the_sample_scores_within_0_01_of_the_R2_of_an_exact_least_squares_fit()
    {
        var data = Path.Combine(RepositoryPaths.Root, "samples", "data", "california_housing.csv");
        Assert.True(File.Exists(data), $"The real data set is missing: {data}. It is part of the repository (samples/data/README.md says where it comes from); restore it with git.");
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var store = await ObjectStoreDaemon.StartAsync(Cancellation, "256Mi", etcd);
        using var work = new TemporaryDirectory();
        var options = new PipelineOptions
        {
            RunId = "california",
            Input = Path.GetFullPath(data),
            Target = "median_house_value",
            WorkDirectory = work.Path,
        };

        foreach (var step in new Func<StepContext, Task>[] { Steps.PreprocessAsync, Steps.TrainAsync, Steps.TestAsync })
        {
            await using var context = new StepContext(step.Method.Name, store.SocketPath, options.RunId, arguments: [options.ToArgument()], cancellationToken: Cancellation);
            await step(context);
        }

        await using var reader = new StepContext("check", store.SocketPath, options.RunId, cancellationToken: Cancellation);
        var client = await reader.ObjectStoreAsync();
        var preprocess = (await StepReport.ReadAsync(client, options, Steps.Preprocess, Cancellation))!;
        var test = (await StepReport.ReadAsync(client, options, Steps.Test, Cancellation))!;
        Assert.Equal(Rows, preprocess.Figures["rows"]);
        Assert.Equal(MissingBedrooms, preprocess.Figures["imputed_cells"]);
        Assert.Equal(Rows * 4 / 5, preprocess.Figures["train_rows"]);
        Assert.Equal(Rows / 5, test.Figures["test_rows"]);

        await using var exchange = new ObjectStoreExchange(reader, client);
        using var xTrain = await exchange.GetAsync(options.ObjectName("x_train"), Cancellation);
        using var yTrain = await exchange.GetAsync(options.ObjectName("y_train"), Cancellation);
        using var xTest = await exchange.GetAsync(options.ObjectName("x_test"), Cancellation);
        using var yTest = await exchange.GetAsync(options.ObjectName("y_test"), Cancellation);
        Assert.Contains("ocean_proximity=INLAND", xTrain.Names);
        var exact = new ReferenceFit(xTrain, yTrain).RSquared(xTest, yTest);

        TestContext.Current.TestOutputHelper?.WriteLine($"R² {test.Figures["r2"]:0.000000} (ML.NET) against {exact:0.000000} (exact least squares)");
        Assert.True(test.Figures["r2"] >= exact - 0.01, $"The sample's R² {test.Figures["r2"]} is more than 0.01 below the exact fit's {exact}.");
        // A linear model explains about two thirds of the variance of these prices, no more: a check on the reference too.
        Assert.InRange(exact, 0.55, 0.75);
        Assert.True(File.Exists(options.ModelFile), $"The train step saved no model file at {options.ModelFile}.");
    }
}
