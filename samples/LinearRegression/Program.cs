using System.CommandLine;
using Fluid.Aspire.Samples.LinearRegression.Exchange;
using Fluid.Aspire.Samples.LinearRegression.Pipeline;
using Fluid.Sdk;

// The reference sample: preprocess → train → test, the steps handing their data to each other through the object
// store (or, to compare, through files). This program both runs the flow and hosts its steps.
FluidSteps.RunIfRequested(args);

// Under ./run.sh the run and its steps appear as one trace on the dashboard.
using var tracing = FluidTracing.ExportIfConfigured("linear-regression");

var rows = new Option<int>("--rows") { Description = "Rows of the synthetic table (default 600,000).", DefaultValueFactory = _ => 600_000 };
var input = new Option<string?>("--input")
{
    Description = "A CSV to learn from instead of the synthetic table: a file, or a URL (http://, https://, s3://) read through the stack's cache agents.",
};
var inputOptions = new Option<string[]>("--input-option")
{
    Description = "An option of a URL --input's mount, KEY=VALUE, repeatable: e.g. endpoint=http://127.0.0.1:9000 and pathStyle=true for an S3-compatible server.",
    AllowMultipleArgumentsPerToken = false,
};
var target = new Option<string>("--target") { Description = "The column of --input to predict (default SalePrice).", DefaultValueFactory = _ => "SalePrice" };
var exchange = new Option<string>("--exchange") { Description = "How steps hand data on: objectstore (default), files (Parquet on local disk) or arrow-shm.", DefaultValueFactory = _ => "objectstore" };
exchange.AcceptOnlyFromAmong("objectstore", "files", "arrow-shm");
var seed = new Option<int>("--seed") { Description = "The seed of the synthetic table and of the split (default 42).", DefaultValueFactory = _ => 42 };
var runId = new Option<string>("--run-id") { Description = "The run's id: names its steps and objects (default linear-regression).", DefaultValueFactory = _ => "linear-regression" };
var replicas = new Option<int>("--replicas") { Description = "Object store workers of the runtime, one per node (default 2).", DefaultValueFactory = _ => 2 };
var cacheCapacity = new Option<double?>("--cache-capacity")
{
    Description = "Object store memory each node reserves for the run, in GiB (default: sized from the data, checked against this machine's free memory and the stack's stores).",
    // A parser of our own, so that a word where the number goes is a usage error rather than an exception.
    CustomParser = result =>
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var gib) && gib > 0)
        {
            return gib;
        }

        result.AddError($"--cache-capacity {text} is not a size; give a positive number of GiB, e.g. --cache-capacity 0.5");
        return null;
    },
};
var planStoreMemory = new Option<bool>("--plan-store-memory")
{
    Description = "Print the object store memory each node needs for this data, or for --cache-capacity (e.g. 1536Mi), and exit, without a stack; ./run.sh sizes the stack's stores with it.",
};
var keep = new Option<bool>("--keep")
{
    Description = "Keep the run's dataset, runtime, steps, events and objects to look at (kubectl get fluid); the next run removes them.",
};
var root = new RootCommand("Linear regression on House-Prices-like data, in three steps that hand their data on through the Fluid.Aspire object store.")
{
    rows, input, inputOptions, target, exchange, seed, runId, replicas, cacheCapacity, keep, planStoreMemory,
};
root.SetAction(async (parse, cancellationToken) =>
{
    if (InputProblem(parse.GetValue(input), parse.GetValue(inputOptions) ?? [], out var source, out var mountOptions) is { } problem)
    {
        await Console.Error.WriteLineAsync($"error: {problem}");
        return 2;
    }

    var options = new PipelineOptions
    {
        RunId = parse.GetValue(runId)!,
        Input = source,
        InputOptions = mountOptions,
        Target = parse.GetValue(target)!,
        Rows = parse.GetValue(rows),
        Seed = parse.GetValue(seed),
        Replicas = parse.GetValue(replicas),
        CacheCapacityGiB = parse.GetValue(cacheCapacity),
        Keep = parse.GetValue(keep),
        Exchange = parse.GetValue(exchange) switch
        {
            "files" => ExchangeMode.Files,
            "arrow-shm" => ExchangeMode.ArrowShm,
            _ => ExchangeMode.ObjectStore,
        },
    };
    if (parse.GetValue(planStoreMemory))
    {
        try
        {
            Console.WriteLine(CacheCapacity.Quantity(options.CacheCapacityGiB is { } chosen
                ? (long)Math.Ceiling(chosen * (1L << 30))
                : CacheCapacity.Plan(CacheCapacity.EstimateDataBytes(options), CacheCapacity.AvailableMemoryBytes(), options.Replicas, storeCapacityBytes: null)));
            return 0;
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 2;
        }
    }

    try
    {
        await using var client = new FluidClient();
        var result = await LinearRegressionFlow.RunAsync(client, options, message => Console.WriteLine($"· {message}"), cancellationToken);
        ResultPrinter.Print(result, Console.Out);
        return 0;
    }
    catch (Exception ex) when (ex is FlowFailedException or TimeoutException or InvalidOperationException or Fluid.Aspire.Contracts.Store.ResourceStoreException)
    {
        await Console.Error.WriteLineAsync($"RESULT failed: {ex.Message}");
        return 1;
    }
});
return await root.Parse(args).InvokeAsync();

// Why --input and --input-option cannot be used, or null: the input as a full path or URL, and the mount's options.
static string? InputProblem(string? given, string[] optionTexts, out string? source, out Dictionary<string, string> options)
{
    options = new Dictionary<string, string>(StringComparer.Ordinal);
    source = given;
    foreach (var text in optionTexts)
    {
        if (text.Split('=', 2) is [{ Length: > 0 } key, var value])
        {
            options[key] = value;
        }
        else
        {
            return $"--input-option {text} is not KEY=VALUE; e.g. --input-option endpoint=http://127.0.0.1:9000";
        }
    }

    if (given is null)
    {
        return options.Count == 0 ? null : "--input-option is for a URL --input; give --input too.";
    }

    if (given.Contains("://", StringComparison.Ordinal))
    {
        return new PipelineOptions { Input = given }.IsRemoteInput ? null
            : $"--input {given}: the sample reads files and {string.Join(", ", PipelineOptions.RemoteSchemes.Select(s => s + "://"))} URLs.";
    }

    source = Path.GetFullPath(given);
    return !File.Exists(source) ? $"there is no file {source}"
        : options.Count > 0 ? "--input-option is for a URL --input, not a file."
        : null;
}
