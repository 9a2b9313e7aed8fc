using System.Text.Json;
using Fluid.Aspire.Samples.LinearRegression.Exchange;
using Fluid.Sdk;

namespace Fluid.Aspire.Samples.LinearRegression.Pipeline;

/// <summary>What a run does; handed to every step as its argument, so that each step runs the same pipeline.</summary>
public sealed record PipelineOptions
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The run's id: names its steps (<c>{run}-step{i}</c>), its dataset and its objects.</summary>
    public string RunId { get; init; } = "linear-regression";

    /// <summary>
    /// A CSV to learn from: a file of this machine, or the URL of one (<c>http(s)://</c>, <c>s3://</c>) that the run
    /// reads through a cache (<see cref="InputDataset"/>); when unset, a synthetic House-Prices-like table of
    /// <see cref="Rows"/> rows.
    /// </summary>
    public string? Input { get; init; }

    /// <summary>Options of a URL's mount (e.g. <c>endpoint</c> and <c>pathStyle</c> of an S3-compatible server).</summary>
    public Dictionary<string, string> InputOptions { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Whether <see cref="Input"/> is a URL, read through the cache agents rather than from this machine.</summary>
    public bool IsRemoteInput => Input is { } input && RemoteSchemes.Any(s => input.StartsWith(s + "://", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The dataset of a URL input, with a CacheRuntime of the same name: runtimes bind 1:1 to their dataset, so the
    /// run's own dataset (with the object store runtime) is another one.
    /// </summary>
    public string InputDataset => $"{RunId}-input";

    /// <summary>The URL schemes <see cref="Input"/> may have.</summary>
    public static IReadOnlyList<string> RemoteSchemes { get; } = ["http", "https", "s3"];

    /// <summary>The column to predict in <see cref="Input"/>.</summary>
    public string Target { get; init; } = "SalePrice";

    public int Rows { get; init; } = 600_000;

    public int Seed { get; init; } = 42;

    public ExchangeMode Exchange { get; init; } = ExchangeMode.ObjectStore;

    /// <summary>Where files go: the Parquet or Arrow exchange, and the model file. Shared by the steps (one machine).</summary>
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "fluid-linear-regression");

    /// <summary>
    /// The dataset of a synthetic run: a folder of its own, empty (the table is generated, not read), so that the
    /// files the steps write under <see cref="WorkDirectory"/> never count as the dataset's.
    /// </summary>
    public string SyntheticSource => Path.Combine(WorkDirectory, "dataset");

    /// <summary>The runtime's workers (one per node).</summary>
    public int Replicas { get; init; } = 2;

    /// <summary>The object store memory the runtime asks of each node; unset, <see cref="CacheCapacity"/> sizes it from the data and the machine.</summary>
    public double? CacheCapacityGiB { get; init; }

    /// <summary>
    /// Leave the run's dataset, runtime, steps, events and objects in place for inspection (<c>kubectl get fluid</c>);
    /// the next run of the same id removes them before it starts.
    /// </summary>
    public bool Keep { get; init; }

    /// <summary>The program that hosts the steps, when it is not this one: a notebook names the sample's built assembly.</summary>
    public string? StepHost { get; init; }

    public string ObjectName(string name) => $"{RunId}/{name}";

    public string ExchangeDirectory => Exchange == ExchangeMode.ArrowShm
        ? Path.Combine("/dev/shm", $"fluid-{RunId}")
        : Path.Combine(WorkDirectory, "exchange", RunId);

    public string ModelFile => Path.Combine(WorkDirectory, $"{RunId}-model.json");

    public string ToArgument() => JsonSerializer.Serialize(this, Json);

    public static PipelineOptions From(StepContext context) =>
        context.Arguments.Count == 1 ? JsonSerializer.Deserialize<PipelineOptions>(context.Arguments[0], Json)! : new PipelineOptions();

    /// <summary>The data exchange a step uses, by mode.</summary>
    public async Task<IDataExchange> OpenExchangeAsync(StepContext context) => Exchange switch
    {
        ExchangeMode.ObjectStore => new ObjectStoreExchange(context, await context.ObjectStoreAsync()),
        ExchangeMode.Files => new ParquetExchange(ExchangeDirectory),
        _ => new ArrowFileExchange(ExchangeDirectory),
    };
}
