using System.Globalization;
using Fluid.Aspire.ObjectStore.Client.Arrow;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests.Types;

/// <summary>The type registry: a type registered from outside the client plugs in the way the built-in ones do.</summary>
public sealed class ObjectTypesTests
{
    /// <summary>Unique to these tests, so that no other test's registrations meet them.</summary>
    private const string SeriesTypeName = "tests::Series";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_registered_type_round_trips_through_put_and_get_and_is_read_in_place()
    {
        RegisterSeries();
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var writer = await daemon.ConnectAsync(Cancellation, "writer");
        await using var reader = await daemon.ConnectAsync(Cancellation, "reader");
        var series = new Series("temperature", [21.5, 22, 19.75, -3, 0]);

        var id = await writer.PutValueAsync(
            series, new PutOptions { Name = "series", Labels = new Dictionary<string, string> { ["step"] = "ingest" } }, Cancellation);
        using var view = await reader.GetAsync<SeriesView>("series", cancellationToken: Cancellation);

        Assert.Equal(id, view.Handle.Id);
        Assert.Equal(SeriesTypeName, view.Handle.TypeName);
        Assert.Equal("ingest", view.Handle.Meta.Labels["step"]);
        Assert.Equal("temperature", view.Label);
        Assert.Equal(series.Samples, view.Samples.ToArray());
        Assert.True(ArrowSamples.LiesInABlob(view.Handle, System.Runtime.InteropServices.MemoryMarshal.AsBytes(view.Samples)));
        var listing = await reader.ListAsync("series", cancellationToken: Cancellation);
        Assert.Equal(SeriesTypeName, Assert.Single(listing.Objects).TypeName);
    }

    [Fact]
    public async Task One_type_can_be_read_through_several_registered_views_and_by_id()
    {
        RegisterSeries();
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutValueAsync(new Series("ramp", [1, 2, 3, 4]), cancellationToken: Cancellation);

        using var summary = await client.GetAsync<SeriesSummary>(id, cancellationToken: Cancellation);
        using var view = await client.GetAsync<SeriesView>(id, cancellationToken: Cancellation);

        Assert.Equal((4, 2.5), (summary.Count, summary.Mean));
        Assert.Equal([1.0, 2, 3, 4], view.Samples.ToArray());
    }

    [Fact]
    public async Task A_value_is_put_through_the_builder_of_its_runtime_type()
    {
        RegisterSeries();
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        object boxed = new Series("boxed", [7]);

        var id = await client.PutValueAsync(boxed, cancellationToken: Cancellation);

        using var view = await client.GetAsync<SeriesView>(id, cancellationToken: Cancellation);
        Assert.Equal("boxed", view.Label);
        Assert.Equal([7.0], view.Samples.ToArray());
    }

    [Fact]
    public async Task Reading_an_object_as_a_view_not_registered_for_its_type_names_the_views_it_has()
    {
        RegisterSeries();
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutValueAsync(new Series("x", [1]), new PutOptions { Name = "x" }, Cancellation);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetAsync<RecordBatchHandle>("x", cancellationToken: Cancellation));

        Assert.Contains(SeriesTypeName, error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(RecordBatchHandle), error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(SeriesView), error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(SeriesSummary), error.Message, StringComparison.Ordinal);

        // The failed get let go of the object: deleting it frees its memory.
        await client.DeleteAsync(id, Cancellation);
        var missing = await Assert.ThrowsAsync<ObjectStoreException>(() => client.GetAsync<SeriesView>(id, cancellationToken: Cancellation));
        Assert.Equal(ObjectStoreErrorCode.ObjectNotFound, missing.Code);
    }

    [Fact]
    public async Task Putting_a_value_without_a_builder_says_how_to_register_one()
    {
        RegisterSeries();
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.PutValueAsync(new Unregistered(1), cancellationToken: Cancellation));

        Assert.Contains(nameof(Unregistered), error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(ObjectTypes.RegisterBuilder), error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await client.GetStatsAsync(Cancellation)).Objects);
    }

    /// <summary>Registers the series type: two views and a builder (again for each test; registering replaces).</summary>
    private static void RegisterSeries()
    {
        ObjectTypes.Register(SeriesTypeName, handle => new SeriesView(handle));
        ObjectTypes.Register(SeriesTypeName, handle => new SeriesSummary(handle));
        ObjectTypes.RegisterBuilder<Series>(PutSeriesAsync);
    }

    /// <summary>Writes the samples into a blob in place and describes them: the label as a field, the blob as a member.</summary>
    private static async Task<ObjectId> PutSeriesAsync(ObjectStoreClient client, Series series, PutOptions options, CancellationToken cancellationToken)
    {
        using var blob = await client.CreateBlobAsync(Math.Max(1, series.Samples.Length * sizeof(double)), cancellationToken);
        series.Samples.CopyTo(blob.AsSpan<double>());
        return await client.CreateObjectAsync(
            new ObjectMeta
            {
                TypeName = SeriesTypeName,
                Fields = new Dictionary<string, string>
                {
                    ["label"] = series.Label,
                    ["count"] = series.Samples.Length.ToString(CultureInfo.InvariantCulture),
                },
                Members = new Dictionary<string, ObjectMeta> { ["samples"] = blob.Leaf() },
            },
            options,
            cancellationToken);
    }

    private sealed record Series(string Label, double[] Samples);

    private sealed record Unregistered(int Value);

    /// <summary>A series read in place.</summary>
    private sealed class SeriesView(ObjectHandle handle) : IDisposable
    {
        public ObjectHandle Handle => handle;

        public string Label => handle.Meta.Field("label");

        public ReadOnlySpan<double> Samples =>
            handle.Member("samples").AsSpan<double>()[..int.Parse(handle.Meta.Field("count"), CultureInfo.InvariantCulture)];

        public void Dispose() => handle.Dispose();
    }

    /// <summary>Another view of the same type: statistics over the samples.</summary>
    private sealed class SeriesSummary : IDisposable
    {
        private readonly ObjectHandle _handle;

        public SeriesSummary(ObjectHandle handle)
        {
            _handle = handle;
            var samples = handle.Member("samples").AsSpan<double>()[..int.Parse(handle.Meta.Field("count"), CultureInfo.InvariantCulture)];
            Count = samples.Length;
            var sum = 0.0;
            foreach (var sample in samples)
            {
                sum += sample;
            }

            Mean = Count == 0 ? double.NaN : sum / Count;
        }

        public int Count { get; }

        public double Mean { get; }

        public void Dispose() => _handle.Dispose();
    }
}
