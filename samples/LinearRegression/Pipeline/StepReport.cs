using System.Diagnostics;
using System.Text.Json;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Sdk;

namespace Fluid.Aspire.Samples.LinearRegression.Pipeline;

/// <summary>
/// What a step reports to the program that ran the flow: its read, compute and write times, and figures of its own
/// (rows, metrics). Published through the object store whatever the data exchange, since it is small.
/// </summary>
public sealed class StepReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Step { get; init; } = "";

    public string Node { get; init; } = "";

    public double ReadSeconds { get; set; }

    public double ComputeSeconds { get; set; }

    public double WriteSeconds { get; set; }

    public Dictionary<string, double> Figures { get; init; } = [];

    public List<double[]> Points { get; init; } = [];

    /// <summary>Times <paramref name="work"/> into one of the three phases.</summary>
    public async Task<T> TimeAsync<T>(Phase phase, Func<Task<T>> work)
    {
        var start = Stopwatch.GetTimestamp();
        var result = await work();
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        switch (phase)
        {
            case Phase.Read:
                ReadSeconds += seconds;
                break;
            case Phase.Compute:
                ComputeSeconds += seconds;
                break;
            default:
                WriteSeconds += seconds;
                break;
        }

        return result;
    }

    public Task TimeAsync(Phase phase, Func<Task> work) => TimeAsync(phase, async () =>
    {
        await work();
        return true;
    });

    public async Task PublishAsync(StepContext context, PipelineOptions options)
    {
        var store = await context.ObjectStoreAsync();
        await store.PutAsync(JsonSerializer.SerializeToUtf8Bytes(this, Json), context.Named(options.ObjectName($"report/{Step}")), context.CancellationToken);
    }

    public static async Task<StepReport?> ReadAsync(ObjectStoreClient store, PipelineOptions options, string step, CancellationToken cancellationToken)
    {
        try
        {
            using var handle = await store.GetAsync(options.ObjectName($"report/{step}"), new GetOptions { Fetch = true }, cancellationToken);
            return JsonSerializer.Deserialize<StepReport>(handle.Blobs[0].Span, Json);
        }
        catch (ObjectStore.Objects.ObjectStoreException)
        {
            return null;
        }
    }

    public enum Phase
    {
        Read,
        Compute,
        Write,
    }
}
