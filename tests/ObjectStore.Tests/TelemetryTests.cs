using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>The daemon's metrics and traces, observed in process through the same APIs OpenTelemetry listens on.</summary>
public sealed class TelemetryTests
{
    private const string Source = "Fluid.Aspire.ObjectStore";
    private const string ClientSource = "Fluid.Aspire.ObjectStore.Client";
    private const string TestSource = "Fluid.Aspire.ObjectStore.Tests.Steps";

    private static readonly ActivitySource Steps = new(TestSource);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requests_are_counted_traced_inside_the_callers_span_and_memory_is_measured()
    {
        using var directory = new TemporaryDirectory();
        var socket = Path.Combine(directory.Path, "os.sock");
        await using var app = InProcessDaemon.Build(socket);
        // Other tests run daemons in this process at the same time, with meters of the same name: only this daemon's
        // meter (the one its host's factory made) is measured.
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        var measurements = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var published = new ConcurrentBag<string>();
        var spans = new ConcurrentBag<Activity>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == Source && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    published.Add(instrument.Name);
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => measurements.AddOrUpdate(instrument.Name, value, (_, sum) =>
            instrument is ObservableGauge<long> or ObservableGauge<int> ? value : sum + value));
        meters.SetMeasurementEventCallback<int>((instrument, value, _, _) => measurements[instrument.Name] = value);
        meters.Start();
        using var traces = new ActivityListener
        {
            ShouldListenTo = source => source.Name is Source or ClientSource or TestSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(traces);
        await app.StartAsync(Cancellation);

        ActivityTraceId trace;
        await using (var client = await ObjectStoreClient.ConnectAsync(socket, Cancellation))
        {
            // A step's puts and gets are traced inside it; outside any operation, nothing is.
            ObjectId id;
            using (var step = Steps.StartActivity("step"))
            {
                trace = step!.TraceId;
                id = await client.PutAsync(new byte[100_000], cancellationToken: Cancellation);
                using (await client.GetAsync(id, cancellationToken: Cancellation))
                {
                }
            }

            using (await client.GetAsync(id, cancellationToken: Cancellation))
            {
            }
        }

        meters.RecordObservableInstruments();
        await app.StopAsync(Cancellation);

        var seen = $"instruments enabled: {string.Join(", ", published.Order(StringComparer.Ordinal))}; measured: {string.Join(", ", measurements.OrderBy(m => m.Key, StringComparer.Ordinal))}";
        Assert.True(measurements.GetValueOrDefault("fluid.objectstore.puts") == 1, seen);
        Assert.Equal(2, measurements.GetValueOrDefault("fluid.objectstore.gets"));
        Assert.Equal(1, measurements.GetValueOrDefault("fluid.objectstore.objects"));
        Assert.InRange(measurements.GetValueOrDefault("fluid.objectstore.memory.used"), 100_000, 110_000);
        Assert.Equal(16 * 1024 * 1024 - measurements["fluid.objectstore.memory.used"], measurements.GetValueOrDefault("fluid.objectstore.memory.free"));
        var traced = spans.Where(s => s.TraceId == trace).ToArray();
        var stepSpan = Assert.Single(traced, s => s.Source.Name == TestSource);
        var put = Assert.Single(traced, s => s.DisplayName == "objectstore put");
        var get = Assert.Single(traced, s => s.DisplayName == "objectstore get" && s.Source.Name == ClientSource);
        var served = Assert.Single(traced, s => s.DisplayName == "objectstore get" && s.Source.Name == Source);
        Assert.Equal(stepSpan.SpanId, put.ParentSpanId);
        Assert.Equal(stepSpan.SpanId, get.ParentSpanId);
        Assert.Equal(get.SpanId, served.ParentSpanId);
        Assert.Equal(100_000L, put.GetTagItem("fluid.object.bytes"));
        Assert.Equal(100_000L, get.GetTagItem("fluid.object.bytes"));
        Assert.Equal("zero-copy", get.GetTagItem("fluid.transfer"));
        Assert.Equal(put.GetTagItem("fluid.object.id"), get.GetTagItem("fluid.object.id"));
        Assert.NotNull(get.GetTagItem("fluid.node"));
        Assert.Equal(4, traced.Length);
        Assert.DoesNotContain(spans, s => s.Source.Name is Source or ClientSource && s.ParentSpanId == default);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("http://127.0.0.1:9", true)]
    public void Spans_are_made_only_when_there_is_a_collector_to_send_them_to(string? endpoint, bool traced)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
        builder.AddServiceDefaults();
        using var host = builder.Build();

        using var tracing = host.Services.GetService<OpenTelemetry.Trace.TracerProvider>();

        Assert.Equal(traced, tracing is not null);
        if (traced)
        {
            // A source of its own, under the prefix the service defaults listen to.
            using var probe = new ActivitySource($"Fluid.Aspire.Probe.{Guid.NewGuid():N}");
            using var span = probe.StartActivity("probe");
            Assert.NotNull(span);
        }
    }
}
