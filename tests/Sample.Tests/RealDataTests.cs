using Fluid.Aspire.Samples.LinearRegression.Exchange;
using Fluid.Aspire.Samples.LinearRegression.Pipeline;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;
using StepReport = Fluid.Aspire.Samples.LinearRegression.Pipeline.StepReport;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>
/// The sample's three steps on real data (California housing), run in this process against a real object store,
/// checked against an exact least-squares fit computed here by QR on the very split the steps handed on.
/// </summary>
public sealed class RealDataTests
{
    private const int Rows = 20_640;
    private const int MissingBedrooms = 207;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task On_california_housing_the_sample_scores_the_R2_of_an_exact_least_squares_fit()
    {
        var data = Path.Combine(RepositoryPaths.Root, "samples", "data", "california_housing.csv");
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
        var reference = new ReferenceFit(xTrain.Names, xTrain.Columns, yTrain.Columns[0].Span);
        var expected = ReferenceFit.RSquared(yTest.Columns[0].Span, reference.Predict(xTest.Columns, xTest.Rows));

        Assert.Equal(expected, test.Figures["r2"], 1e-5);
        // A linear model explains about two thirds of the variance of these prices, no more: a check on the reference too.
        Assert.InRange(expected, 0.55, 0.75);
        Assert.True(File.Exists(options.ModelFile), $"The train step saved no model file at {options.ModelFile}.");
    }
}
