using System.Globalization;
using System.Text.Json;
using Fluid.Aspire.Samples.LinearRegression.Exchange;
using Fluid.Aspire.Samples.LinearRegression.Pipeline;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;

// The pipeline benchmark: the linear-regression flow on a synthetic table of 10M rows × 46 columns, with each data
// exchange in the same run, on a local stack of two nodes. `dotnet run -c Release --project benchmarks/Pipeline
// [-- --rows N]` from the repository root; results go to artifacts/bench/pipeline.json. This program also hosts the
// flow's steps, as any program written with the SDK does.
FluidSteps.RunIfRequested(args);

var rows = args is ["--rows", var text] ? int.Parse(text, CultureInfo.InvariantCulture) : 10_000_000;
var bytes = (long)rows * 46 * sizeof(double);
var storeGiB = Math.Max(2, (long)Math.Ceiling(bytes * 1.4 / (1L << 30)));
var storeSize = $"{storeGiB}Gi";
Progress($"{rows:N0} rows × 46 columns ({bytes / (1 << 20):N0} MiB); object stores of {storeSize}");
// Not --reserve-memory: pre-faulting both nodes' stores whole, beside the steps' own arrays and the Arrow files on
// /dev/shm, does not fit in this machine's memory at 10M rows. An unmeasured warm-up run faults in the pages the
// flow uses instead, as --reserve-memory would have, and only those.
await using var cluster = await LocalCluster.StartAsync(2, CancellationToken.None, objectStoreSize: storeSize);
using var work = new TemporaryDirectory();
var results = new Dictionary<ExchangeMode, PipelineResult>();
(string Run, ExchangeMode Mode)[] runs =
    [("warm-up", ExchangeMode.ObjectStore), ("objectstore", ExchangeMode.ObjectStore), ("files", ExchangeMode.Files), ("arrowshm", ExchangeMode.ArrowShm)];
foreach (var (run, mode) in runs)
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
    if (run != "warm-up")
    {
        results[mode] = result;
    }

    GC.Collect();
}

var store = results[ExchangeMode.ObjectStore];
var files = results[ExchangeMode.Files];
var shm = results[ExchangeMode.ArrowShm];
var fields = new SortedDictionary<string, object>(StringComparer.Ordinal)
{
    ["measured_at"] = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture),
    ["command"] = "dotnet run -c Release --project benchmarks/Pipeline",
    ["rows"] = rows,
    ["objectstore_total_s"] = Math.Round(store.Seconds, 3),
    ["files_total_s"] = Math.Round(files.Seconds, 3),
    ["arrow_shm_total_s"] = Math.Round(shm.Seconds, 3),
    ["objectstore_exchange_s"] = Math.Round(store.ExchangeSeconds, 3),
    ["files_exchange_s"] = Math.Round(files.ExchangeSeconds, 3),
    ["arrow_shm_exchange_s"] = Math.Round(shm.ExchangeSeconds, 3),
    ["exchange_speedup"] = Math.Round(files.ExchangeSeconds / store.ExchangeSeconds, 2),
    ["pipeline_speedup"] = Math.Round(files.Seconds / store.Seconds, 2),
    ["r2"] = Math.Round(store.Figure(Steps.Test, "r2"), 6),
    ["r2_files"] = Math.Round(files.Figure(Steps.Test, "r2"), 6),
    ["steps"] = results.ToDictionary(r => r.Key.ToString().ToLowerInvariant(), r => r.Value.Reports.Select(s => new
    {
        step = s?.Step,
        read_s = Math.Round(s?.ReadSeconds ?? double.NaN, 3),
        compute_s = Math.Round(s?.ComputeSeconds ?? double.NaN, 3),
        write_s = Math.Round(s?.WriteSeconds ?? double.NaN, 3),
    }).ToArray()),
};
var path = Path.Combine(RepositoryPaths.Root, "artifacts", "bench", "pipeline.json");
Directory.CreateDirectory(Path.GetDirectoryName(path)!);
await File.WriteAllTextAsync(path, JsonSerializer.Serialize(fields, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine(await File.ReadAllTextAsync(path));
Console.WriteLine($"exchange {files.ExchangeSeconds / store.ExchangeSeconds:0.00}× faster through the object store (target 5×); " +
    $"pipeline {files.Seconds / store.Seconds:0.00}× faster (target 1.5×; Fluid with Vineyard on Kubeflow: 1.44×)");
return 0;

static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
