using System.Diagnostics;
using Fluid.Sdk;

namespace Fluid.Aspire.Samples.LinearRegression.Pipeline;

/// <summary>What a run of the pipeline produced: every step's report and the run's wall time.</summary>
public sealed record PipelineResult(PipelineOptions Options, IReadOnlyList<StepReport> Steps, IReadOnlyList<StepReport?> Reports, double Seconds)
{
    public StepReport? Report(string step) => Reports.FirstOrDefault(r => r?.Step == step);

    public double Figure(string step, string name) => Report(step)?.Figures.GetValueOrDefault(name) ?? double.NaN;

    /// <summary>
    /// All handing of data between steps: what each step writes for the next and reads from the one before. The
    /// first step's reading of its input (a CSV, or generating the synthetic table) is not exchange.
    /// </summary>
    public double ExchangeSeconds => Reports.Sum(r => (r?.Step == Pipeline.Steps.Preprocess ? 0 : r?.ReadSeconds ?? 0) + (r?.WriteSeconds ?? 0));
}

/// <summary>
/// The flow, written with the SDK as Fluid's sample writes it in Python: a client, a dataset, an object store
/// runtime on two nodes, three steps, run, wait, clean up.
/// </summary>
public static class LinearRegressionFlow
{
    public static async Task<PipelineResult> RunAsync(FluidClient client, PipelineOptions options, Action<string> progress, CancellationToken cancellationToken)
    {
        await RemoveKeptRunAsync(client, options, progress, cancellationToken);
        // Sized before anything is created, so that a run that cannot fit leaves nothing behind.
        var quotaGiB = await CacheCapacity.ForRunAsync(client, options, cancellationToken);
        var source = options.Input is { } input ? Path.GetDirectoryName(Path.GetFullPath(input))! : options.SyntheticSource;
        Directory.CreateDirectory(source);
        progress($"dataset {options.RunId}: {(options.Input is null ? $"{options.Rows:N0} synthetic rows" : options.Input)}; exchange through {options.Exchange}");
        var dataset = await client.CreateDatasetAsync(options.RunId, $"local://{source}", cancellationToken: cancellationToken);
        try
        {
            await dataset.BindRuntimeAsync(RuntimeKind.ObjectStore, options.Replicas, quotaGiB, "MEM", wait: true,
                TimeSpan.FromMinutes(2), cancellationToken);
            progress($"runtime bound: {options.Replicas} worker(s) of {quotaGiB * 1024:0} MiB");
            string[] settings = [options.ToArgument()];
            var started = Stopwatch.GetTimestamp();
            var run = await dataset
                .Process(Processor.FromMethod(Steps.PreprocessAsync, settings, program: options.StepHost))
                .Process(Processor.FromMethod(Steps.TrainAsync, settings, program: options.StepHost), inputs: [options.ObjectName("x_train"), options.ObjectName("y_train")])
                .Process(Processor.FromMethod(Steps.TestAsync, settings, program: options.StepHost), inputs: [options.ObjectName("model"), options.ObjectName("x_test"), options.ObjectName("y_test")])
                .RunAsync(options.RunId, cancellationToken);
            progress($"running {string.Join(", ", run.StepNames)}");
            var steps = await run.WaitAsync(TimeSpan.FromMinutes(15), cancellationToken);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await using var store = await client.ConnectObjectStoreAsync(cancellationToken);
            var reports = new List<StepReport?>();
            foreach (var step in new[] { Steps.Preprocess, Steps.Train, Steps.Test })
            {
                reports.Add(await StepReport.ReadAsync(store, options, step, cancellationToken));
            }

            return new PipelineResult(options, steps.Select((s, i) => new StepReport { Step = s.Name, Node = s.Node ?? "" }).ToArray(), reports, seconds);
        }
        finally
        {
            if (options.Keep)
            {
                progress($"kept dataset {options.RunId} with its runtime, steps, events and objects (kubectl get fluid); the next run removes them");
            }
            else
            {
                // Clean up whatever happened: the dataset takes its runtime, steps and objects with it.
                await dataset.CleanUpAsync(wait: true, TimeSpan.FromMinutes(2), CancellationToken.None);
                if (Directory.Exists(options.ExchangeDirectory))
                {
                    Directory.Delete(options.ExchangeDirectory, recursive: true);
                }
            }
        }
    }

    /// <summary>Removes what an earlier run of the same id kept, before this run sizes its cache and creates its own.</summary>
    private static async Task RemoveKeptRunAsync(FluidClient client, PipelineOptions options, Action<string> progress, CancellationToken cancellationToken)
    {
        if (await client.Store.GetAsync<Fluid.Aspire.Contracts.Datasets.Dataset>(options.RunId, client.Config.Namespace, cancellationToken) is null)
        {
            return;
        }

        progress($"removing dataset {options.RunId}, kept by an earlier run");
        await (await client.GetDatasetAsync(options.RunId, cancellationToken)).CleanUpAsync(wait: true, TimeSpan.FromMinutes(2), cancellationToken);
        if (Directory.Exists(options.ExchangeDirectory))
        {
            Directory.Delete(options.ExchangeDirectory, recursive: true);
        }
    }
}
