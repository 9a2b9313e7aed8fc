using Apache.Arrow.Types;
using Apache.Arrow;
using Fluid.Aspire.ObjectStore.Client.Arrow;
using Fluid.Aspire.ObjectStore.Client.ML;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.TestSupport;
using Microsoft.ML.Data;
using Microsoft.ML;

namespace Fluid.Aspire.ObjectStore.Tests.Types;

/// <summary>Stored record batches and tables as ML.NET data views: typed columns, cursors, parallel cursor sets, training.</summary>
public sealed class DataViewTests
{
    private const int Rows = 5;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stored_batch_seen_as_a_data_view_has_a_column_of_the_matching_type_for_each_arrow_column()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutRecordBatchAsync(Mixed(), cancellationToken: Cancellation);
        using var stored = await client.GetRecordBatchAsync(id, cancellationToken: Cancellation);

        var view = stored.AsDataView();

        Assert.Equal(Rows, view.GetRowCount());
        Assert.Equal(
            [
                ("f64", (DataViewType)NumberDataViewType.Double), ("f32", NumberDataViewType.Single), ("i8", NumberDataViewType.SByte),
                ("i16", NumberDataViewType.Int16), ("i32", NumberDataViewType.Int32), ("i64", NumberDataViewType.Int64),
                ("u8", NumberDataViewType.Byte), ("u16", NumberDataViewType.UInt16), ("u32", NumberDataViewType.UInt32),
                ("u64", NumberDataViewType.UInt64), ("flag", BooleanDataViewType.Instance), ("text", TextDataViewType.Instance),
                ("large_text", TextDataViewType.Instance), ("vec", new VectorDataViewType(NumberDataViewType.Single, 3)),
                ("dvec", new VectorDataViewType(NumberDataViewType.Double, 2)),
            ],
            view.Schema.Select(column => (column.Name, column.Type)));
        Assert.Equal(Enumerable.Range(0, view.Schema.Count), view.Schema.Select(column => column.Index));
    }

    [Fact]
    public async Task A_column_without_an_ml_type_is_refused_naming_it()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var schema = new Schema.Builder().Field(new Field("x", DoubleType.Default, false)).Field(new Field("day", Date32Type.Default, false)).Build();
        var batch = new RecordBatch(
            schema,
            [new DoubleArray.Builder().Append(1).Build(), new Date32Array.Builder().Append(new DateOnly(2025, 1, 1)).Build()],
            1);
        var id = await client.PutRecordBatchAsync(batch, cancellationToken: Cancellation);
        using var stored = await client.GetRecordBatchAsync(id, cancellationToken: Cancellation);

        var error = Assert.Throws<NotSupportedException>(() => stored.AsDataView());

        Assert.Contains("'day'", error.Message, StringComparison.Ordinal);
        Assert.Contains("date32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cursor_reads_every_value_in_place_with_nulls_of_floating_columns_as_NaN()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutRecordBatchAsync(Mixed(), cancellationToken: Cancellation);
        using var stored = await client.GetRecordBatchAsync(id, cancellationToken: Cancellation);
        var view = stored.AsDataView();

        var rows = ReadAll(view);

        Assert.Equal([1.5, double.NaN, -2, double.NaN, 1e300], rows.Select(r => r.F64));
        Assert.Equal([0.25f, float.NaN, 3, -4, 5], rows.Select(r => r.F32));
        Assert.Equal([-8, 0, 0, 8, 127], rows.Select(r => (int)r.I8));
        Assert.Equal([1, 0, 3, 4, int.MaxValue], rows.Select(r => r.I32));
        Assert.Equal([long.MinValue, 2, 3, 0, 5], rows.Select(r => r.I64));
        Assert.Equal([255, 0, 1, 2, 3], rows.Select(r => (int)r.U8));
        Assert.Equal([ulong.MaxValue, 1, 2, 3, 4], rows.Select(r => r.U64));
        Assert.Equal([true, false, false, true, false], rows.Select(r => r.Flag));
        Assert.Equal(["alpha", "", "", "δέλτα", "e"], rows.Select(r => r.Text));
        Assert.Equal(["A", "B", "", "D", "E"], rows.Select(r => r.LargeText));
        Assert.All(rows, r => Assert.Equal(3, r.Vec.Length));
        Assert.Equal([0f, 0.5f, 0.25f, 1f, 1.5f, 1.25f, 2f, 2.5f, 2.25f, 3f, 3.5f, 3.25f, 4f, 4.5f, 4.25f], rows.SelectMany(r => r.Vec));
        Assert.All(rows, r => Assert.Equal(2, r.DVec.Length));
        Assert.Equal([0.0, -0.0, 1, -1, 2, -2, 3, -3, 4, -4], rows.SelectMany(r => r.DVec));
        Assert.Equal([0L, 1, 2, 3, 4], rows.Select(r => r.Position));
        Assert.Equal([0UL, 1, 2, 3, 4], rows.Select(r => r.Id));
    }

    [Fact]
    public async Task A_cursor_over_a_sliced_batch_reads_the_slice()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutRecordBatchAsync(Mixed().Slice(2, 3), cancellationToken: Cancellation);
        using var stored = await client.GetRecordBatchAsync(id, cancellationToken: Cancellation);

        var rows = ReadAll(stored.AsDataView());

        Assert.Equal([-2, double.NaN, 1e300], rows.Select(r => r.F64));
        Assert.Equal([3, 4, int.MaxValue], rows.Select(r => r.I32));
        Assert.Equal([false, true, false], rows.Select(r => r.Flag));
        Assert.Equal(["", "δέλτα", "e"], rows.Select(r => r.Text));
        Assert.Equal([2f, 2.5f, 2.25f, 3f, 3.5f, 3.25f, 4f, 4.5f, 4.25f], rows.SelectMany(r => r.Vec));
        Assert.Equal([2.0, -2, 3, -3, 4, -4], rows.SelectMany(r => r.DVec));
    }

    [Fact]
    public async Task A_cursor_gives_getters_only_for_the_columns_asked_for_and_of_their_own_type()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutRecordBatchAsync(Mixed(), cancellationToken: Cancellation);
        using var stored = await client.GetRecordBatchAsync(id, cancellationToken: Cancellation);
        var view = stored.AsDataView();

        using var cursor = view.GetRowCursor([view.Schema["f64"], view.Schema["text"]]);

        Assert.True(cursor.IsColumnActive(view.Schema["f64"]));
        Assert.False(cursor.IsColumnActive(view.Schema["i32"]));
        var inactive = Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<int>(view.Schema["i32"]));
        Assert.Contains("'i32'", inactive.Message, StringComparison.Ordinal);
        var wrongType = Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<float>(view.Schema["f64"]));
        Assert.Contains(nameof(Double), wrongType.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Single), wrongType.Message, StringComparison.Ordinal);
        Assert.Equal(-1, cursor.Position);
        var text = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["text"]);
        var count = 0;
        while (cursor.MoveNext())
        {
            count++;
        }

        Assert.Equal(Rows, count);
        Assert.Equal(-1, cursor.Position);
        Assert.False(cursor.MoveNext());
        Assert.Equal(0, cursor.Batch);
        Assert.NotNull(text);
    }

    [Fact]
    public async Task A_cursor_set_splits_the_rows_of_a_table_into_disjoint_ranges_that_cover_them_all()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        int[] lengths = [7, 11, 1, 5];
        var batches = lengths.Select((length, i) => ArrowSamples.Numbers(lengths[..i].Sum(), length)).ToArray();
        var id = await client.PutTableAsync(batches, cancellationToken: Cancellation);
        using var stored = await client.GetTableAsync(id, cancellationToken: Cancellation);
        var view = stored.AsDataView();
        var total = lengths.Sum();
        Assert.Equal(total, view.GetRowCount());

        foreach (var n in new[] { 1, 2, 3, 4, 7, 100 })
        {
            AssertCursorSetCoversAllRows(view, n, total);
        }
    }

    [Fact]
    public async Task ML_net_reads_a_stored_table_into_objects()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutTableAsync([ArrowSamples.Numbers(0, 3), ArrowSamples.Numbers(3, 4)], cancellationToken: Cancellation);
        using var stored = await client.GetTableAsync(id, cancellationToken: Cancellation);
        var ml = new MLContext(seed: 1);

        var rows = ml.Data.CreateEnumerable<NumberRow>(stored.AsDataView(), reuseRowObject: false).ToList();

        Assert.Equal(Enumerable.Range(0, 7), rows.Select(r => r.X));
        Assert.Equal([double.NaN, 0.5, 1, 1.5, 2, 2.5, 3], rows.Select(r => r.Y));
        Assert.Equal("row 6", rows[^1].Name);
    }

    private static void AssertCursorSetCoversAllRows(RecordBatchDataView view, int n, int total)
    {
        var cursors = view.GetRowCursorSet(view.Schema, n);

        Assert.InRange(cursors.Length, 1, Math.Min(n, total));
        var seen = new List<ulong>();
        foreach (var cursor in cursors)
        {
            using (cursor)
            {
                var idGetter = cursor.GetIdGetter();
                var x = cursor.GetGetter<int>(view.Schema["x"]);
                var y = cursor.GetGetter<double>(view.Schema["y"]);
                var name = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["name"]);
                var ids = new List<ulong>();
                while (cursor.MoveNext())
                {
                    DataViewRowId rowId = default;
                    int xValue = 0;
                    double yValue = 0;
                    ReadOnlyMemory<char> nameValue = default;
                    idGetter(ref rowId);
                    x(ref xValue);
                    y(ref yValue);
                    name(ref nameValue);

                    // Numbers(start, rows) holds x = row number, y = x / 2 (NaN for multiples of 7), name = "row x".
                    Assert.Equal((ulong)xValue, rowId.Low);
                    Assert.Equal(xValue % 7 == 0 ? double.NaN : xValue * 0.5, yValue);
                    Assert.Equal($"row {xValue}", nameValue.ToString());
                    Assert.Equal(ids.Count, cursor.Position);
                    ids.Add(rowId.Low);
                }

                // Each cursor reads one contiguous range, in order.
                Assert.Equal(ids.Order(), ids);
                Assert.True(ids.Count == 0 || ids[^1] - ids[0] == (ulong)(ids.Count - 1));
                seen.AddRange(ids);
            }
        }

        Assert.Equal(total, seen.Count);
        Assert.Equal(Enumerable.Range(0, total).Select(i => (ulong)i), seen.Order());
        Assert.Equal(cursors.Length, cursors.Select(c => c.Batch).Distinct().Count());
    }

    [Fact]
    public async Task A_regression_trained_on_a_stored_batch_recovers_the_known_coefficients()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "128Mi");
        await using var client = await daemon.ConnectAsync(Cancellation);
        const int rows = 2000;
        var schema = new Schema.Builder()
            .Field(new Field("x1", DoubleType.Default, false))
            .Field(new Field("x2", DoubleType.Default, false))
            .Field(new Field("x3", DoubleType.Default, false))
            .Field(new Field("y", DoubleType.Default, false))
            .Build();
        using (var writer = await client.CreateRecordBatchAsync(schema, rows, Cancellation))
        {
            // y = 3 x1 - 2 x2 + 0.5 x3 + 1, with a little noise.
            var random = new Random(7);
            var x1 = writer.Column<double>("x1");
            var x2 = writer.Column<double>("x2");
            var x3 = writer.Column<double>("x3");
            var y = writer.Column<double>("y");
            for (var i = 0; i < rows; i++)
            {
                x1[i] = (random.NextDouble() * 2) - 1;
                x2[i] = (random.NextDouble() * 2) - 1;
                x3[i] = (random.NextDouble() * 2) - 1;
                y[i] = (3 * x1[i]) - (2 * x2[i]) + (0.5 * x3[i]) + 1 + ((random.NextDouble() - 0.5) * 0.02);
            }

            await writer.SealAsync(new PutOptions { Name = "training" }, Cancellation);
        }

        using var stored = await client.GetRecordBatchAsync("training", cancellationToken: Cancellation);
        var ml = new MLContext(seed: 1);
        var split = ml.Data.TrainTestSplit(stored.AsDataView(), testFraction: 0.2, seed: 1);
        var pipeline = ml.Transforms.Conversion.ConvertType(
                [new InputOutputColumnPair("Label", "y"), new("f1", "x1"), new("f2", "x2"), new("f3", "x3")], DataKind.Single)
            .Append(ml.Transforms.Concatenate("Features", "f1", "f2", "f3"))
            .Append(ml.Regression.Trainers.Sdca(labelColumnName: "Label", featureColumnName: "Features", maximumNumberOfIterations: 100));

        var model = pipeline.Fit(split.TrainSet);
        var metrics = ml.Regression.Evaluate(model.Transform(split.TestSet), labelColumnName: "Label", scoreColumnName: "Score");

        Assert.True(metrics.RSquared > 0.99, $"R² = {metrics.RSquared}, RMSE = {metrics.RootMeanSquaredError}");
        var fitted = model.LastTransformer.Model;
        Assert.Equal(3, fitted.Weights[0], 0.1);
        Assert.Equal(-2, fitted.Weights[1], 0.1);
        Assert.Equal(0.5, fitted.Weights[2], 0.1);
        Assert.Equal(1, fitted.Bias, 0.1);
    }

    /// <summary>Five rows of every column type a data view reads, with nulls in the nullable ones.</summary>
    private static RecordBatch Mixed()
    {
        var vec = ArrowSamples.Vectors(Rows);
        var dvecBuilder = new FixedSizeListArray.Builder(new Field("item", DoubleType.Default, false), 2);
        var dvecValues = (DoubleArray.Builder)dvecBuilder.ValueBuilder;
        for (var i = 0; i < Rows; i++)
        {
            dvecBuilder.Append();
            dvecValues.Append(i).Append(-i);
        }

        var columns = new (string Name, IArrowArray Array)[]
        {
            ("f64", new DoubleArray.Builder().Append(1.5).AppendNull().Append(-2).Append(double.NaN).Append(1e300).Build()),
            ("f32", new FloatArray.Builder().Append(0.25f).AppendNull().Append(3).Append(-4).Append(5).Build()),
            ("i8", new Int8Array.Builder().Append(-8).AppendNull().Append(0).Append(8).Append(127).Build()),
            ("i16", new Int16Array.Builder().Append(1).Append(2).Append(3).Append(4).Append(5).Build()),
            ("i32", new Int32Array.Builder().Append(1).AppendNull().Append(3).Append(4).Append(int.MaxValue).Build()),
            ("i64", new Int64Array.Builder().Append(long.MinValue).Append(2).Append(3).AppendNull().Append(5).Build()),
            ("u8", new UInt8Array.Builder().Append(255).Append(0).Append(1).Append(2).Append(3).Build()),
            ("u16", new UInt16Array.Builder().Append(1).Append(2).Append(3).Append(4).Append(5).Build()),
            ("u32", new UInt32Array.Builder().Append(1).Append(2).Append(3).Append(4).Append(5).Build()),
            ("u64", new UInt64Array.Builder().Append(ulong.MaxValue).Append(1).Append(2).Append(3).Append(4).Build()),
            ("flag", new BooleanArray.Builder().Append(true).AppendNull().Append(false).Append(true).Append(false).Build()),
            ("text", new StringArray.Builder().Append("alpha").AppendNull().Append("").Append("δέλτα").Append("e").Build()),
            ("large_text", new LargeStringArray.Builder().Append("A").Append("B").AppendNull().Append("D").Append("E").Build()),
            ("vec", vec),
            ("dvec", dvecBuilder.Build()),
        };
        var schema = new Schema.Builder();
        foreach (var (name, array) in columns)
        {
            schema.Field(new Field(name, array.Data.DataType, nullable: true));
        }

        return new RecordBatch(schema.Build(), columns.Select(c => c.Array), Rows);
    }

    private static List<Row> ReadAll(RecordBatchDataView view)
    {
        var rows = new List<Row>();
        using var cursor = view.GetRowCursor(view.Schema);
        var schema = view.Schema;
        var f64 = cursor.GetGetter<double>(schema["f64"]);
        var f32 = cursor.GetGetter<float>(schema["f32"]);
        var i8 = cursor.GetGetter<sbyte>(schema["i8"]);
        var i32 = cursor.GetGetter<int>(schema["i32"]);
        var i64 = cursor.GetGetter<long>(schema["i64"]);
        var u8 = cursor.GetGetter<byte>(schema["u8"]);
        var u64 = cursor.GetGetter<ulong>(schema["u64"]);
        var flag = cursor.GetGetter<bool>(schema["flag"]);
        var text = cursor.GetGetter<ReadOnlyMemory<char>>(schema["text"]);
        var largeText = cursor.GetGetter<ReadOnlyMemory<char>>(schema["large_text"]);
        var vec = cursor.GetGetter<VBuffer<float>>(schema["vec"]);
        var dvec = cursor.GetGetter<VBuffer<double>>(schema["dvec"]);
        var id = cursor.GetIdGetter();
        VBuffer<float> vecValue = default;
        VBuffer<double> dvecValue = default;
        while (cursor.MoveNext())
        {
            var row = new Row { Position = cursor.Position };
            f64(ref row.F64);
            f32(ref row.F32);
            i8(ref row.I8);
            i32(ref row.I32);
            i64(ref row.I64);
            u8(ref row.U8);
            u64(ref row.U64);
            flag(ref row.Flag);
            ReadOnlyMemory<char> chars = default;
            text(ref chars);
            row.Text = chars.ToString();
            largeText(ref chars);
            row.LargeText = chars.ToString();

            // The getters reuse the buffers they are given, as ML.NET expects.
            vec(ref vecValue);
            row.Vec = vecValue.DenseValues().ToArray();
            dvec(ref dvecValue);
            row.DVec = dvecValue.DenseValues().ToArray();
            DataViewRowId rowId = default;
            id(ref rowId);
            row.Id = rowId.Low;
            rows.Add(row);
        }

        return rows;
    }

    private sealed class Row
    {
        // Fields, so that the getters can fill them by reference.
        public long Position;
        public double F64;
        public float F32;
        public sbyte I8;
        public int I32;
        public long I64;
        public byte U8;
        public ulong U64;
        public bool Flag;

        public string Text { get; set; } = "";

        public string LargeText { get; set; } = "";

        public float[] Vec { get; set; } = [];

        public double[] DVec { get; set; } = [];

        public ulong Id { get; set; }
    }
}

/// <summary>A row of <see cref="ArrowSamples.Numbers"/> as ML.NET materializes it.</summary>
public sealed class NumberRow
{
    [ColumnName("x")]
    public int X { get; set; }

    [ColumnName("y")]
    public double Y { get; set; }

    [ColumnName("name")]
    public string Name { get; set; } = "";
}
