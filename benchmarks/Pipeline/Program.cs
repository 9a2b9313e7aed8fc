using System.Globalization;
using System.Text.Json;
using Fluid.Aspire.Samples.LinearRegression.Exchange;
using Fluid.Aspire.Samples.LinearRegression.Pipeline;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;

// The pipeline benchmark: the linear-regression flow on a synthetic table of 10M rows × 46 columns, with each data
// exchange in the same run, on a local stack of two nodes. `dotnet run -c Release --project benchmarks/Pipeline
// [-- --rows N] [--rounds N]` from the repository root; results go to artifacts/bench/pipeline.json. This program also hosts the
// flow's steps, as any program written with the SDK does.
FluidSteps.RunIfRequested(args);

var rows = 10_000_000;
var rounds = 2;
for (var i = 0; i < args.Length; i += 2)
{
    switch (args[i..])
    {
        case ["--rows", var value, ..] when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
            rows = n;
            break;
        case ["--rounds", var value, ..] when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
            rounds = n;
            break;
        default:
            Console.Error.WriteLine("usage: dotnet run -c Release --project benchmarks/Pipeline [-- --rows N] [--rounds N]   (defaults: 10000000 rows, 2 rounds)");
            return 2;
    }
}

var bytes = (long)rows * 46 * sizeof(double);
var storeGiB = Math.Max(2, (long)Math.Ceiling(bytes * 1.4 / (1L << 30)));
var storeSize = $"{storeGiB}Gi";
Progress($"{rows:N0} rows × 46 columns ({bytes / (1 << 20):N0} MiB); object stores of {storeSize}; {rounds} round(s)");
// Not --reserve-memory: pre-faulting both nodes' stores whole, beside the steps' own arrays and the Arrow files on
// /dev/shm, does not fit in this machine's memory at 10M rows. An unmeasured warm-up run faults in the pages the
// flow uses instead, as --reserve-memory would have, and only those.
await using var cluster = await LocalCluster.StartAsync(2, CancellationToken.None, objectStoreSize: storeSize);
using var work = new TemporaryDirectory();
ExchangeMode[] modes = [ExchangeMode.ObjectStore, ExchangeMode.Files, ExchangeMode.ArrowShm];

// Each round runs every mode, every other round in reverse order, so that neither the machine's drift nor a
// mode's place after another weighs on one side only; the steps' compute varies most from run to run here.
var results = modes.ToDictionary(mode => mode, _ => new List<PipelineResult>());
await RunAsync("warm-up", ExchangeMode.ObjectStore);
for (var round = 0; round < rounds; round++)
{
    foreach (var mode in round % 2 == 0 ? modes : modes.Reverse())
    {
        results[mode].Add(await RunAsync($"{Name(mode)}-{round + 1}", mode));
    }
}

double Mean(ExchangeMode mode, Func<PipelineResult, double> value) => results[mode].Average(value);
var store = ExchangeMode.ObjectStore;
var files = ExchangeMode.Files;
var shm = ExchangeMode.ArrowShm;
var exchangeSpeedup = Mean(files, r => r.ExchangeSeconds) / Mean(store, r => r.ExchangeSeconds);
var pipelineSpeedup = Mean(files, r => r.Seconds) / Mean(store, r => r.Seconds);
var fields = new SortedDictionary<string, object>(StringComparer.Ordinal)
{
    ["measured_at"] = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture),
    ["command"] = "dotnet run -c Release --project benchmarks/Pipeline",
    ["rows"] = rows,
    ["rounds"] = rounds,
    ["objectstore_total_s"] = Math.Round(Mean(store, r => r.Seconds), 3),
    ["files_total_s"] = Math.Round(Mean(files, r => r.Seconds), 3),
    ["arrow_shm_total_s"] = Math.Round(Mean(shm, r => r.Seconds), 3),
    ["objectstore_exchange_s"] = Math.Round(Mean(store, r => r.ExchangeSeconds), 3),
    ["files_exchange_s"] = Math.Round(Mean(files, r => r.ExchangeSeconds), 3),
    ["arrow_shm_exchange_s"] = Math.Round(Mean(shm, r => r.ExchangeSeconds), 3),
    ["exchange_speedup"] = Math.Round(exchangeSpeedup, 2),
    ["pipeline_speedup"] = Math.Round(pipelineSpeedup, 2),
    ["r2"] = Math.Round(results[store][0].Figure(Steps.Test, "r2"), 6),
    ["r2_files"] = Math.Round(results[files][0].Figure(Steps.Test, "r2"), 6),
    ["runs"] = modes.ToDictionary(Name, mode => results[mode].Select(r => new
    {
        total_s = Math.Round(r.Seconds, 3),
        exchange_s = Math.Round(r.ExchangeSeconds, 3),
        steps = r.Reports.Select(s => new
        {
            step = s?.Step,
            read_s = Math.Round(s?.ReadSeconds ?? double.NaN, 3),
            compute_s = Math.Round(s?.ComputeSeconds ?? double.NaN, 3),
            write_s = Math.Round(s?.WriteSeconds ?? double.NaN, 3),
        }).ToArray(),
    }).ToArray()),
};
var path = Path.Combine(RepositoryPaths.Root, "artifacts", "bench", "pipeline.json");
Directory.CreateDirectory(Path.GetDirectoryName(path)!);
await File.WriteAllTextAsync(path, JsonSerializer.Serialize(fields, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine(await File.ReadAllTextAsync(path));
Console.WriteLine($"exchange {exchangeSpeedup:0.00}× faster through the object store (target 5×); " +
    $"pipeline {pipelineSpeedup:0.00}× faster (target 1.5×; Fluid with Vineyard on Kubeflow: 1.44×), means of {rounds} round(s)");
return 0;

async Task<PipelineResult> RunAsync(string run, ExchangeMode mode)
{
    await using var client = new FluidClient(new ClientConfig { ConnectionString = cluster.ConnectionString });
    var options = new PipelineOptions
    {
        RunId = $"bench-{run}",
        Rows = rows,
        Exchange = mode,
        WorkDirectory = work.Path,
        // The stores are sized for the data; each run may use a whole store.
        CacheCapacityGiB = storeGiB,
    };
    Progress($"{run}: running the pipeline with exchange {mode}");
    var result = await LinearRegressionFlow.RunAsync(client, options, Progress, CancellationToken.None);
    Progress($"{run}: {result.Seconds:0.00} s in all, {result.ExchangeSeconds:0.00} s exchanging, R² {result.Figure(Steps.Test, "r2"):0.0000}");
    GC.Collect();
    return result;
}

static string Name(ExchangeMode mode) => mode switch
{
    ExchangeMode.ArrowShm => "arrowshm",
    _ => mode.ToString().ToLowerInvariant(),
};

static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
