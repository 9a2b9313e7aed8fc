using Apache.Arrow;
using Apache.Arrow.Types;
using Fluid.Aspire.ObjectStore.Client.Arrow;
using Fluid.Aspire.ObjectStore.Client.ML;
using Fluid.Aspire.TestSupport;
using Microsoft.ML.Data;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>
/// The store's data view reading numeric columns as one vector of floats (what the sample's model trains on),
/// converted as each row is read from the stored batch.
/// </summary>
public sealed class SingleVectorTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static RecordBatchDataViewOptions Features(params string[] sources) =>
        new() { SingleVectors = new Dictionary<string, IReadOnlyList<string>> { ["Features"] = sources } };

    [Fact]
    public async Task Numeric_columns_of_a_stored_batch_read_as_one_vector_of_floats_named_by_slot_with_nulls_as_NaN()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var batch = new RecordBatch.Builder()
            .Append("price", false, new DoubleArray.Builder().Append(1.5).AppendNull().Append(-2.25).Build())
            .Append("rooms", false, new Int32Array.Builder().Append(3).Append(4).AppendNull().Build())
            .Append("label", false, new StringArray.Builder().Append("a").Append("b").Append("c").Build())
            .Append("ratio", false, new FloatArray.Builder().Append(0.5f).Append(0.25f).Append(2).Build())
            .Build();
        var id = await client.PutRecordBatchAsync(batch, cancellationToken: Cancellation);
        using var stored = await client.GetRecordBatchAsync(id, cancellationToken: Cancellation);

        var view = new RecordBatchDataView(stored.Batch, Features("ratio", "price", "rooms"));

        var column = view.Schema["Features"];
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), column.Type);
        Assert.Equal(["price", "rooms", "label", "ratio", "Features"], view.Schema.Select(c => c.Name));
        var slots = default(VBuffer<ReadOnlyMemory<char>>);
        column.Annotations.GetValue("SlotNames", ref slots);
        Assert.Equal(["ratio", "price", "rooms"], slots.DenseValues().Select(s => s.ToString()));
        Assert.Equal(
            [[0.5f, 1.5f, 3], [0.25f, float.NaN, 4], [2, -2.25f, float.NaN]],
            Read(view.GetRowCursor([column]), column));
    }

    [Fact]
    public void A_vector_of_a_column_that_is_missing_or_not_numeric_or_of_a_taken_name_is_refused_naming_it()
    {
        var batch = new RecordBatch.Builder()
            .Append("x", false, new DoubleArray.Builder().Append(1).Build())
            .Append("name", false, new StringArray.Builder().Append("a").Build())
            .Build();

        var missing = Assert.Throws<ArgumentException>(() => new RecordBatchDataView(batch, Features("x", "y")));
        var text = Assert.Throws<ArgumentException>(() => new RecordBatchDataView(batch, Features("name")));
        var taken = Assert.Throws<ArgumentException>(() => new RecordBatchDataView(batch, new RecordBatchDataViewOptions
        {
            SingleVectors = new Dictionary<string, IReadOnlyList<string>> { ["x"] = ["x"] },
        }));

        Assert.Contains("'y', which the batch does not have", missing.Message, StringComparison.Ordinal);
        Assert.Contains("'name', which is Arrow utf8", text.Message, StringComparison.Ordinal);
        Assert.Contains("'x' has the name of a column of the batch", taken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cursors_that_split_the_rows_read_each_row_of_each_batch_once()
    {
        RecordBatch Batch(params double[] values) => new RecordBatch.Builder()
            .Append("a", false, new DoubleArray.Builder().AppendRange(values).Build())
            .Append("b", false, new Int64Array.Builder().AppendRange(values.Select(v => (long)(v * 10))).Build())
            .Build();
        var view = new RecordBatchDataView([Batch(1, 2, 3), Batch(4, 5)], Features("a", "b"));
        var column = view.Schema["Features"];

        var cursors = view.GetRowCursorSet([column], 2);

        Assert.Equal(2, cursors.Length);
        Assert.Equal([[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]], cursors.SelectMany(cursor => Read(cursor, column)).OrderBy(r => r[0]));
    }

    private static List<float[]> Read(Microsoft.ML.DataViewRowCursor cursor, Microsoft.ML.DataViewSchema.Column column)
    {
        using var _ = cursor;
        var rows = new List<float[]>();
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref value);
            rows.Add(value.DenseValues().ToArray());
        }

        return rows;
    }
}
