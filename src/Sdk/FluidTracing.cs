using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Fluid.Sdk;

/// <summary>
/// Sends the traces of a pipeline program to the collector that <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> names (the Aspire
/// dashboard under <c>./run.sh</c>): a run is one trace, whose spans are its steps, with each step's puts and gets
/// of objects inside.
/// </summary>
public static class FluidTracing
{
    /// <summary>The activity source of the SDK's own spans (a run, a step).</summary>
    public const string SourceName = "Fluid.Sdk";

    /// <summary>The sources of every Fluid library a program uses (SDK, object store client).</summary>
    private const string FluidSources = "Fluid.*";

    internal static ActivitySource Source { get; } = new(SourceName);

    /// <summary>
    /// The span of a run and the <c>traceparent</c> its steps carry. Without a span (nothing exports this program's
    /// traces) the steps still share one trace.
    /// </summary>
    internal static (Activity? Span, string TraceParent) StartRun(string runId, string? dataset, int steps)
    {
        var span = Source.StartActivity($"run {runId}");
        span?.SetTag("fluid.run", runId);
        span?.SetTag("fluid.dataset", dataset);
        span?.SetTag("fluid.steps", steps);
        var trace = span?.Context ?? new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        return (span, $"00-{trace.TraceId}-{trace.SpanId}-{(trace.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? "01" : "00")}");
    }

    /// <summary>
    /// Starts exporting this program's spans when a collector is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>);
    /// returns null otherwise. Dispose the provider before the program ends: that sends what is still buffered.
    /// </summary>
    /// <param name="serviceName">How the program appears in the traces (e.g. the pipeline's name).</param>
    /// <param name="instanceId">Which run of it, when several run under one name.</param>
    public static TracerProvider? ExportIfConfigured(string serviceName, string? instanceId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            return null;
        }

        return OpenTelemetry.Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: instanceId))
            .AddSource(FluidSources)
            .AddOtlpExporter()
            .Build();
    }
}
