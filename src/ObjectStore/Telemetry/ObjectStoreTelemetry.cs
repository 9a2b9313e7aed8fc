using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Fluid.Aspire.ObjectStore.Telemetry;

/// <summary>
/// The daemon's metrics and traces. Counters are also kept as totals for the <c>stats</c> command, so that the
/// numbers a user reads there and on the dashboard agree.
/// </summary>
internal sealed class ObjectStoreTelemetry : IDisposable
{
    public const string Name = "Fluid.Aspire.ObjectStore";

    private readonly Meter _meter;
    private readonly Counter<long> _puts;
    private readonly Counter<long> _gets;
    private readonly Counter<long> _fetchedBytes;
    private readonly Counter<long> _spilledBytes;
    private long _putCount;
    private long _getCount;
    private long _fetchedByteCount;

    public ObjectStoreTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _puts = _meter.CreateCounter<long>("fluid.objectstore.puts", "{object}", "Objects created");
        _gets = _meter.CreateCounter<long>("fluid.objectstore.gets", "{object}", "Objects got");
        _fetchedBytes = _meter.CreateCounter<long>("fluid.objectstore.fetched", "By", "Bytes copied in from other instances");
        _spilledBytes = _meter.CreateCounter<long>("fluid.objectstore.spilled", "By", "Bytes written to the spill directory");
    }

    /// <summary>The tag naming the object a span is about.</summary>
    public const string ObjectTag = "fluid.object.id";

    public static ActivitySource Tracing { get; } = new(Name);

    /// <summary>
    /// A span for a client's request, inside the client's own span (<paramref name="traceParent"/>), or none: a
    /// request without one would be a trace of its own, and a step makes thousands of requests.
    /// </summary>
    public static Activity? StartServing(string name, string traceParent, string client)
    {
        if (traceParent.Length == 0 || !Tracing.HasListeners() || !ActivityContext.TryParse(traceParent, null, out var parent))
        {
            return null;
        }

        var activity = Tracing.StartActivity(name, ActivityKind.Server, parent);
        activity?.SetTag("fluid.client", client);
        return activity;
    }

    /// <summary>A span inside the current one, or none when nothing is traced: see <see cref="StartServing"/>.</summary>
    public static Activity? StartInside(string name) => Activity.Current is null ? null : Tracing.StartActivity(name);

    public long Puts => Interlocked.Read(ref _putCount);

    public long Gets => Interlocked.Read(ref _getCount);

    public long FetchedBytes => Interlocked.Read(ref _fetchedByteCount);

    /// <summary>Gauges read from the store when a collector asks.</summary>
    public void Observe(Func<long> used, Func<long> free, Func<int> objects)
    {
        _meter.CreateObservableGauge("fluid.objectstore.memory.used", used, "By", "Bytes allocated in the arenas");
        _meter.CreateObservableGauge("fluid.objectstore.memory.free", free, "By", "Bytes free in the arenas");
        _meter.CreateObservableGauge("fluid.objectstore.objects", objects, "{object}", "Objects held in memory");
    }

    public void Put()
    {
        Interlocked.Increment(ref _putCount);
        _puts.Add(1);
    }

    public void Got()
    {
        Interlocked.Increment(ref _getCount);
        _gets.Add(1);
    }

    public void Fetched(long bytes, string channel)
    {
        Interlocked.Add(ref _fetchedByteCount, bytes);
        _fetchedBytes.Add(bytes, new KeyValuePair<string, object?>("channel", channel));
    }

    public void Spilled(long bytes) => _spilledBytes.Add(bytes);

    public void Dispose() => _meter.Dispose();
}
