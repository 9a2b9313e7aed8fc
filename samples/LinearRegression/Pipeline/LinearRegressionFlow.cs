using System.Diagnostics;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Runtimes;
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
/// runtime on two nodes, three steps, run, wait, clean up. A URL input is a second dataset, with a CacheRuntime: the
/// first step reads it through its node's cache agent.
/// </summary>
public static class LinearRegressionFlow
{
    public static async Task<PipelineResult> RunAsync(FluidClient client, PipelineOptions options, Action<string> progress, CancellationToken cancellationToken)
    {
        await RemoveKeptRunAsync(client, options, progress, cancellationToken);
        (FluidDataset Dataset, long Bytes)? input = options.IsRemoteInput ? await CacheInputAsync(client, options, progress, cancellationToken) : null;
        try
        {
            // Sized before the run's dataset is created, so that a run that cannot fit leaves nothing behind.
            var quotaGiB = await CacheCapacity.ForRunAsync(client, options, input?.Bytes, cancellationToken);
            return await RunFlowAsync(client, options, quotaGiB, progress, cancellationToken);
        }
        finally
        {
            if (input is not null && !options.Keep)
            {
                await input.Value.Dataset.CleanUpAsync(wait: true, TimeSpan.FromMinutes(2), CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// The dataset of a URL input with a CacheRuntime of the same name, a worker on every node the steps may run on;
    /// returns it with the input's size, once the agents have listed it.
    /// </summary>
    private static async Task<(FluidDataset Dataset, long Bytes)> CacheInputAsync(
        FluidClient client, PipelineOptions options, Action<string> progress, CancellationToken cancellationToken)
    {
        var datasetOptions = new DatasetOptions { ReadOnly = true };
        foreach (var (key, value) in options.InputOptions)
        {
            datasetOptions.Options[key] = value;
        }

        var dataset = await client.CreateDatasetAsync(options.InputDataset, options.Input, datasetOptions, cancellationToken);
        try
        {
            await dataset.BindRuntimeAsync(RuntimeKind.Cache, options.Replicas, InputCacheGiB, "MEM", wait: true, TimeSpan.FromMinutes(2), cancellationToken);
            var bytes = await ListedBytesAsync(dataset, cancellationToken);
            progress($"dataset {options.InputDataset}: {options.Input} ({bytes:N0} bytes), cached by {options.Replicas} cache worker(s)");
            return (dataset, bytes);
        }
        catch
        {
            if (!options.Keep)
            {
                await dataset.CleanUpAsync(wait: true, TimeSpan.FromMinutes(2), CancellationToken.None);
            }

            throw;
        }
    }

    /// <summary>The most memory a node's cache of the input may take (a bound: blocks are kept as they are read).</summary>
    private const double InputCacheGiB = 1;

    /// <summary>The input's size once the cache workers have listed it (the dataset is Bound before that).</summary>
    private static async Task<long> ListedBytesAsync(FluidDataset dataset, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var runtime = await dataset.Client.Store.GetAsync<CacheRuntime>(dataset.Name, dataset.Namespace, cancellationToken);
            if (runtime?.Status.UfsTotal is { } bytes)
            {
                return bytes;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"The cache workers of dataset {dataset.Namespace}/{dataset.Name} have not listed {dataset.Resource.Spec.Mounts[0].MountPoint} within 2 min: " +
                    (runtime?.Status.Conditions.FirstOrDefault()?.Message ?? "they have not reported (are the cache agents running?)"));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    private static async Task<PipelineResult> RunFlowAsync(FluidClient client, PipelineOptions options, double quotaGiB, Action<string> progress, CancellationToken cancellationToken)
    {
        var source = options.Input is { } input && !options.IsRemoteInput ? Path.GetDirectoryName(Path.GetFullPath(input))! : options.SyntheticSource;
        Directory.CreateDirectory(source);
        var data = options.IsRemoteInput ? $"reads dataset {options.InputDataset}" : options.Input ?? $"{options.Rows:N0} synthetic rows";
        progress($"dataset {options.RunId}: {data}; exchange through {options.Exchange}");
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
        foreach (var name in new[] { options.RunId, options.InputDataset })
        {
            if (await client.Store.GetAsync<Dataset>(name, client.Config.Namespace, cancellationToken) is not null)
            {
                progress($"removing dataset {name}, kept by an earlier run");
                await (await client.GetDatasetAsync(name, cancellationToken)).CleanUpAsync(wait: true, TimeSpan.FromMinutes(2), cancellationToken);
            }
        }

        if (Directory.Exists(options.ExchangeDirectory))
        {
            Directory.Delete(options.ExchangeDirectory, recursive: true);
        }
    }
}
