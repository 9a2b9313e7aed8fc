using Fluid.Aspire.Samples.LinearRegression.Data;
using Fluid.Aspire.Samples.LinearRegression.Model;
using Fluid.Sdk;
using static Fluid.Aspire.Samples.LinearRegression.Pipeline.StepReport;

namespace Fluid.Aspire.Samples.LinearRegression.Pipeline;

/// <summary>
/// The three steps of the pipeline, each run by the controller in a process of its own, on the node it chose. They
/// hand x_train, x_test, y_train, y_test, the model and the metrics to each other through the data exchange.
/// </summary>
public static class Steps
{
    public const string Preprocess = "preprocess";
    public const string Train = "train";
    public const string Test = "test";

    /// <summary>Reads (a CSV) or generates (a synthetic table) the data, prepares it, splits it 80/20 and hands it on.</summary>
    public static async Task PreprocessAsync(StepContext context)
    {
        var options = PipelineOptions.From(context);
        var report = new StepReport { Step = Preprocess, Node = context.Node };
        var table = await report.TimeAsync(Phase.Read, () => options.IsRemoteInput ? ReadRemoteInputAsync(context, options)
            : Task.Run(() => options.Input is { } input ? CsvTable.Load(input, options.Target) : SyntheticHousing.Generate(options.Rows, options.Seed)));
        var split = await report.TimeAsync(Phase.Compute, () => Task.Run(() => Preparation.Prepare(table, dropOutliers: options.Input is null, options.Seed)));
        await using var exchange = await options.OpenExchangeAsync(context);
        await report.TimeAsync(Phase.Write, async () =>
        {
            await exchange.PutAsync(options.ObjectName("x_train"), split.Train.Names, split.Train.Columns, context.CancellationToken);
            await exchange.PutAsync(options.ObjectName("x_test"), split.Test.Names, split.Test.Columns, context.CancellationToken);
            await exchange.PutAsync(options.ObjectName("y_train"), [options.Target], [split.Train.Target], context.CancellationToken);
            await exchange.PutAsync(options.ObjectName("y_test"), [options.Target], [split.Test.Target], context.CancellationToken);
        });
        report.Figures["rows"] = table.Rows;
        report.Figures["features"] = table.Names.Count;
        report.Figures["train_rows"] = split.Train.Rows;
        report.Figures["test_rows"] = split.Test.Rows;
        report.Figures["dropped_outliers"] = split.DroppedOutliers;
        report.Figures["imputed_cells"] = split.ImputedCells;
        await report.PublishAsync(context, options);
        Console.WriteLine($"preprocess: {table.Rows} rows, {table.Names.Count} features; dropped {split.DroppedOutliers} outliers, imputed {split.ImputedCells} cells; " +
            $"{split.Train.Rows} train / {split.Test.Rows} test rows handed on through {exchange.Mode}");
    }

    /// <summary>The CSV of a URL input, read through the node's cache agent: its dataset is that one file.</summary>
    private static async Task<FeatureTable> ReadRemoteInputAsync(StepContext context, PipelineOptions options)
    {
        var files = await context.OpenDatasetAsync(options.InputDataset, context.CancellationToken);
        var file = (await files.EnumerateFilesAsync(cancellationToken: context.CancellationToken)) switch
        {
            [var one] => one,
            var many => throw new InvalidDataException(
                $"--input {options.Input} is {many.Count} files; give the URL of one CSV file."),
        };
        await using var stream = await files.OpenReadAsync(file.Path, context.CancellationToken);
        return await Task.Run(() => CsvTable.Load(stream, options.Input!, options.Target));
    }

    /// <summary>Trains the ML.NET model on x_train and y_train, read where they are, and hands it on.</summary>
    public static async Task TrainAsync(StepContext context)
    {
        var options = PipelineOptions.From(context);
        var report = new StepReport { Step = Train, Node = context.Node };
        await using var exchange = await options.OpenExchangeAsync(context);
        using var x = await report.TimeAsync(Phase.Read, () => exchange.GetAsync(options.ObjectName("x_train"), context.CancellationToken));
        using var y = await report.TimeAsync(Phase.Read, () => exchange.GetAsync(options.ObjectName("y_train"), context.CancellationToken));
        // Saving the model (ML.NET writes a zip) is compute, not exchange: the write phase is only its handing on.
        var (saved, coefficients) = await report.TimeAsync(Phase.Compute, () => Task.Run(() =>
        {
            var model = PriceModel.Train(x, y);
            return (model.ToBytes(), model.Coefficients());
        }));
        await report.TimeAsync(Phase.Write, async () =>
        {
            await exchange.PutBytesAsync(options.ObjectName("model"), saved, context.CancellationToken);
            Directory.CreateDirectory(options.WorkDirectory);
            await File.WriteAllTextAsync(options.ModelFile, coefficients.ToJson(), context.CancellationToken);
        });
        report.Figures["train_rows"] = x.Rows;
        await report.PublishAsync(context, options);
        Console.WriteLine($"train: fitted {coefficients.Weights.Length} weights on {x.Rows} rows ({PriceModel.Trainer}); coefficients saved to {options.ModelFile}");
    }

    /// <summary>Predicts the test set with the trained model and reports R², RMSE, MAE and MSE.</summary>
    public static async Task TestAsync(StepContext context)
    {
        var options = PipelineOptions.From(context);
        var report = new StepReport { Step = Test, Node = context.Node };
        await using var exchange = await options.OpenExchangeAsync(context);
        var saved = await report.TimeAsync(Phase.Read, () => exchange.GetBytesAsync(options.ObjectName("model"), context.CancellationToken));
        using var x = await report.TimeAsync(Phase.Read, () => exchange.GetAsync(options.ObjectName("x_test"), context.CancellationToken));
        using var y = await report.TimeAsync(Phase.Read, () => exchange.GetAsync(options.ObjectName("y_test"), context.CancellationToken));
        var (scores, predictions) = await report.TimeAsync(Phase.Compute, () => Task.Run(() => PriceModel.FromBytes(saved).Score(x, y)));
        report.Figures["r2"] = scores.RSquared;
        report.Figures["rmse"] = scores.RootMeanSquaredError;
        report.Figures["mae"] = scores.MeanAbsoluteError;
        report.Figures["mse"] = scores.MeanSquaredError;
        report.Figures["test_rows"] = scores.Rows;

        // A sample of (actual, predicted), for a plot.
        var step = Math.Max(1, y.Rows / 500);
        for (var i = 0; i < y.Rows; i += step)
        {
            report.Points.Add([y.Values(0)[i], predictions[i]]);
        }

        await report.PublishAsync(context, options);
        Console.WriteLine($"test: R² {scores.RSquared:0.0000}, RMSE {scores.RootMeanSquaredError:0.0}, MAE {scores.MeanAbsoluteError:0.0} on {scores.Rows} rows");
    }
}
