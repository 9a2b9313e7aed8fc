using System.Runtime.InteropServices;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Client.Arrow;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests.Types;

/// <summary>Arrow record batches and tables in the store: every type, nulls and metadata kept, columns read in place.</summary>
public sealed class ArrowTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_record_batch_of_every_supported_type_round_trips_with_its_schema_nulls_and_values()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var writer = await daemon.ConnectAsync(Cancellation, "writer");
        await using var reader = await daemon.ConnectAsync(Cancellation, "reader");
        var original = ArrowSamples.EveryType();
        var id = await writer.PutRecordBatchAsync(original, new PutOptions { Name = "every-type" }, Cancellation);

        using var stored = await reader.GetRecordBatchAsync("every-type", cancellationToken: Cancellation);

        Assert.Equal(id, stored.Id);
        Assert.Equal(ArrowObjects.RecordBatchTypeName, stored.Handle.TypeName);
        Assert.Equal(ArrowSamples.Rows, stored.Length);
        Assert.Equal(ArrowSamples.SchemaBytes(original.Schema), ArrowSamples.SchemaBytes(stored.Schema));
        Assert.Equal("fluid-tests", stored.Schema.Metadata["producer"]);
        Assert.Equal("count", stored.Schema.GetFieldByName("i32").Metadata["unit"]);
        Assert.Equal("v", stored.Schema.GetFieldByName("struct").Metadata["k"]);
        var outer = (StructType)stored.Schema.GetFieldByName("struct").DataType;
        Assert.Equal("label", outer.Fields[1].Metadata["role"]);
        Assert.False(outer.Fields[0].IsNullable);
        Assert.True(outer.Fields[2].IsNullable);
        Assert.True(((StructType)outer.Fields[2].DataType).Fields[0].IsNullable);
        Assert.Equal("Europe/Paris", ((TimestampType)stored.Schema.GetFieldByName("timestamp").DataType).Timezone);
        Assert.Equal(original.Schema.FieldsList.Select(f => f.IsNullable), stored.Schema.FieldsList.Select(f => f.IsNullable));

        for (var i = 0; i < original.ColumnCount; i++)
        {
            var (expected, actual) = (original.Column(i).Data, stored.Batch.Column(i).Data);
            Assert.Equal(expected.DataType.TypeId, actual.DataType.TypeId);
            Assert.Equal((expected.Length, expected.Offset, expected.GetNullCount()), (actual.Length, actual.Offset, actual.GetNullCount()));
        }

        // The IPC writer serializes every value and validity bit: equal streams, equal batches.
        Assert.Equal(ArrowSamples.IpcBytes(original), ArrowSamples.IpcBytes(stored.Batch));
        AssertSampleValues(stored.Batch);
    }

    [Fact]
    public async Task A_record_batch_of_the_rarer_arrow_types_round_trips()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var original = ArrowSamples.Rarer();

        var id = await client.PutRecordBatchAsync(original, cancellationToken: Cancellation);
        using var stored = await client.GetRecordBatchAsync(id, cancellationToken: Cancellation);

        Assert.Equal(ArrowSamples.SchemaBytes(original.Schema), ArrowSamples.SchemaBytes(stored.Schema));
        Assert.Equal(ArrowSamples.IpcBytes(original), ArrowSamples.IpcBytes(stored.Batch));
        var batch = stored.Batch;
        Assert.Equal(ArrowSamples.Rows, batch.Column("null").NullCount);
        var views = (StringViewArray)batch.Column("string_view");
        Assert.Equal("another rather long string, kept out of line", views.GetString(4));
        Assert.Null(views.GetString(1));
        var dense = (DenseUnionArray)batch.Column("dense_union");
        Assert.Equal("z", ((StringArray)dense.Fields[1]).GetString(dense.ValueOffsets[4]));
        var runs = (RunEndEncodedArray)batch.Column("run_end_encoded");
        Assert.Equal([2, 5, 6], ((Int32Array)runs.RunEnds).Values.ToArray());
        Assert.Equal(-123456789.12345m, ((Decimal256Array)batch.Column("decimal256")).GetValue(2));
        var colors = (ListArray)batch.Column("color_lists");
        var lastColors = (DictionaryArray)colors.GetSlicedValues(4);
        var colorNames = (StringArray)lastColors.Dictionary;
        Assert.Equal(["red", "green", "blue"], Enumerable.Range(0, colorNames.Length).Select(i => colorNames.GetString(i)));
    }

    [Fact]
    public async Task A_sliced_record_batch_round_trips_with_an_offset_in_every_column()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var original = ArrowSamples.EveryType().Slice(2, 3);
        Assert.All(original.Arrays, array => Assert.NotEqual(0, array.Offset));

        var id = await client.PutRecordBatchAsync(original, cancellationToken: Cancellation);
        using var stored = await client.GetRecordBatchAsync(id, cancellationToken: Cancellation);

        Assert.Equal(3, stored.Length);
        Assert.Equal(ArrowSamples.IpcBytes(original), ArrowSamples.IpcBytes(stored.Batch));
        Assert.Equal([false, true, null], Enumerable.Range(0, 3).Select(i => ((BooleanArray)stored.Batch.Column("bool")).GetValue(i)));
        Assert.Equal([0L, 3L, long.MaxValue], Enumerable.Range(0, 3).Select(i => ((Int64Array)stored.Batch.Column("i64")).GetValue(i)));
        var structs = (StructArray)stored.Batch.Column("struct");
        Assert.True(structs.IsNull(0));
        Assert.Equal(30, ((Int32Array)structs.Fields[0]).GetValue(1));
        Assert.Equal([0, 1, 3], Enumerable.Range(0, 3).Select(((ListArray)stored.Batch.Column("list")).GetValueLength));
    }

    [Fact]
    public async Task Reading_a_column_copies_nothing_because_every_buffer_lies_in_a_blob_of_shared_memory()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutRecordBatchAsync(ArrowSamples.EveryType(), cancellationToken: Cancellation);

        using var stored = await client.GetRecordBatchAsync(id, cancellationToken: Cancellation);

        var batch = stored.Batch;
        Assert.True(ArrowSamples.LiesInABlob(stored.Handle, ((Int32Array)batch.Column("i32")).ValueBuffer.Span));
        Assert.True(ArrowSamples.LiesInABlob(stored.Handle, MemoryMarshal.AsBytes(((DoubleArray)batch.Column("f64")).Values)));
        Assert.True(ArrowSamples.LiesInABlob(stored.Handle, MemoryMarshal.AsBytes(((Int64Array)batch.Column("i64_sliced")).Values)));
        Assert.True(ArrowSamples.LiesInABlob(stored.Handle, ((StringArray)batch.Column("utf8")).ValueBuffer.Span));
        var buffers = 0;
        foreach (var column in batch.Arrays)
        {
            ForEachBuffer(column.Data, buffer =>
            {
                Assert.True(ArrowSamples.LiesInABlob(stored.Handle, buffer.Span), $"A buffer of {column.Data.DataType.Name} was copied out of shared memory.");
                buffers++;
            });
        }

        // One blob per non-empty buffer, children and dictionaries included; no blob for an absent validity bitmap.
        Assert.Equal(stored.Handle.Blobs.Count, buffers);
    }

    [Fact]
    public async Task A_batch_without_rows_round_trips()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var empty = ArrowSamples.Numbers(0, 0);

        var id = await client.PutRecordBatchAsync(empty, cancellationToken: Cancellation);
        using var stored = await client.GetRecordBatchAsync(id, cancellationToken: Cancellation);

        Assert.Equal(0, stored.Length);
        Assert.Equal(ArrowSamples.IpcBytes(empty), ArrowSamples.IpcBytes(stored.Batch));
        Assert.Equal(0, stored.AsDataView().GetRowCount());
    }

    [Fact]
    public async Task A_table_of_many_batches_round_trips_in_order_and_reads_as_one_arrow_table()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var batches = new List<RecordBatch>();
        for (var i = 0; i < 12; i++)
        {
            batches.Add(ArrowSamples.Numbers(batches.Sum(b => b.Length), 10 + i));
        }

        var id = await client.PutTableAsync(batches, new PutOptions { Name = "numbers" }, Cancellation);
        using var stored = await client.GetTableAsync("numbers", cancellationToken: Cancellation);

        Assert.Equal(id, stored.Id);
        Assert.Equal(ArrowObjects.TableTypeName, stored.Handle.TypeName);
        Assert.Equal(ArrowSamples.SchemaBytes(ArrowSamples.NumbersSchema), ArrowSamples.SchemaBytes(stored.Schema));
        Assert.Equal(batches.Select(b => b.Length), stored.Batches.Select(b => b.Length));
        Assert.All(batches.Zip(stored.Batches), pair => Assert.Equal(ArrowSamples.IpcBytes(pair.First), ArrowSamples.IpcBytes(pair.Second)));
        var rows = batches.Sum(b => b.Length);
        Assert.Equal(rows, stored.RowCount);

        var table = stored.ToTable();
        Assert.Equal(rows, table.RowCount);
        Assert.Equal(3, table.ColumnCount);
        Assert.Equal(12, table.Column(0).Data.ArrayCount);
        Assert.Equal(batches.Sum(b => b.Column("y").NullCount), table.Column(1).NullCount);
        var x = Enumerable.Range(0, 12).SelectMany(chunk => ((Int32Array)table.Column(0).Data.ArrowArray(chunk)).Values.ToArray());
        Assert.Equal(Enumerable.Range(0, rows), x);
        Assert.True(ArrowSamples.LiesInABlob(stored.Handle, ((StringArray)table.Column(2).Data.ArrowArray(11)).ValueBuffer.Span));
    }

    [Fact]
    public async Task An_arrow_table_is_put_whole_and_through_the_registry()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var batches = new[] { ArrowSamples.Numbers(0, 5), ArrowSamples.Numbers(5, 8), ArrowSamples.Numbers(13, 2) };
        var table = Table.TableFromRecordBatches(ArrowSamples.NumbersSchema, batches);

        var id = await client.PutTableAsync(table, new PutOptions { Name = "table" }, Cancellation);
        var viaRegistry = await client.PutValueAsync(table, new PutOptions { Name = "table-too" }, Cancellation);

        foreach (var name in new[] { "table", "table-too" })
        {
            using var stored = await client.GetAsync<TableHandle>(name, cancellationToken: Cancellation);
            Assert.Equal(name == "table" ? id : viaRegistry, stored.Id);
            Assert.Equal(15, stored.ToTable().RowCount);
            Assert.Equal([5, 8, 2], stored.Batches.Select(b => b.Length));
            Assert.All(batches.Zip(stored.Batches), pair => Assert.Equal(ArrowSamples.IpcBytes(pair.First), ArrowSamples.IpcBytes(pair.Second)));
        }

        var batchId = await client.PutValueAsync(batches[1], cancellationToken: Cancellation);
        using var batch = await client.GetAsync<RecordBatchHandle>(batchId, cancellationToken: Cancellation);
        Assert.Equal(ArrowSamples.IpcBytes(batches[1]), ArrowSamples.IpcBytes(batch.Batch));
        var notATable = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetTableAsync(batchId, cancellationToken: Cancellation));
        Assert.Contains(ArrowObjects.TableTypeName, notATable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_whose_columns_are_chunked_differently_is_stored_in_row_aligned_batches()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var schema = new Schema.Builder()
            .Field(new Field("x", Int32Type.Default, false))
            .Field(new Field("y", DoubleType.Default, false))
            .Build();
        var x = new Column(schema.FieldsList[0], new IArrowArray[] { Ints(0, 3), Ints(3, 0), Ints(3, 7) });
        var y = new Column(schema.FieldsList[1], new IArrowArray[] { Doubles(0, 6), Doubles(6, 2), Doubles(8, 2) });
        var table = new Table(schema, [x, y]);

        var id = await client.PutTableAsync(table, cancellationToken: Cancellation);
        using var stored = await client.GetTableAsync(id, cancellationToken: Cancellation);

        Assert.Equal(10, stored.RowCount);
        Assert.Equal([3, 3, 2, 2], stored.Batches.Select(b => b.Length));
        var rows = stored.Batches.SelectMany(b => Enumerable.Range(0, b.Length)
            .Select(i => (X: ((Int32Array)b.Column(0)).GetValue(i), Y: ((DoubleArray)b.Column(1)).GetValue(i))));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => ((int?)i, (double?)(i * 1.5))), rows);

        static Int32Array Ints(int start, int count) => new Int32Array.Builder().AppendRange(Enumerable.Range(start, count)).Build();
        static DoubleArray Doubles(int start, int count) =>
            new DoubleArray.Builder().AppendRange(Enumerable.Range(start, count).Select(i => i * 1.5)).Build();
    }

    [Fact]
    public async Task A_batch_created_in_place_is_written_through_column_spans_and_read_back()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var schema = new Schema.Builder()
            .Field(new Field("id", Int64Type.Default, false))
            .Field(new Field("score", DoubleType.Default, false))
            .Field(new Field("weight", FloatType.Default, false))
            .Field(new Field("day", Date32Type.Default, false))
            .Field(new Field("at", new TimestampType(TimeUnit.Millisecond, "UTC"), false))
            .Field(new Field("half", HalfFloatType.Default, false))
            .Field(new Field("small", Int8Type.Default, false))
            .Field(new Field("money", new Decimal128Type(38, 0), false))
            .Metadata("written", "in place")
            .Build();
        const int rows = 1000;
        var epoch = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

        using var writer = await client.CreateRecordBatchAsync(schema, rows, Cancellation);
        Assert.Equal(schema.FieldsList.Count, (await client.GetStatsAsync(Cancellation)).UnsealedBlobs);
        var ids = writer.Column<long>(0);
        var scores = writer.Column<double>("score");
        var weights = writer.Column<float>("weight");
        var days = writer.Column<int>("day");
        var times = writer.Column<long>("at");
        var halves = writer.Column<Half>("half");
        var smalls = writer.Column<sbyte>("small");
        var money = writer.Column<Int128>("money");
        for (var i = 0; i < rows; i++)
        {
            ids[i] = 1_000_000_000_000L + i;
            scores[i] = Math.Sqrt(i);
            weights[i] = i / 4f;
            days[i] = DateOnly.FromDateTime(epoch.UtcDateTime).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + i;
            times[i] = epoch.AddMinutes(i).ToUnixTimeMilliseconds();
            halves[i] = (Half)(i % 100);
            smalls[i] = (sbyte)(i % 256 - 128);
            money[i] = i - 500;
        }

        var id = await writer.SealAsync(new PutOptions { Name = "in-place" }, Cancellation);
        var sealedError = Assert.Throws<InvalidOperationException>(() => { _ = writer.Column<long>(0); });
        Assert.Contains("sealed", sealedError.Message, StringComparison.Ordinal);

        using var stored = await client.GetRecordBatchAsync("in-place", cancellationToken: Cancellation);
        Assert.Equal(id, stored.Id);
        Assert.Equal(rows, stored.Length);
        Assert.Equal(ArrowSamples.SchemaBytes(schema), ArrowSamples.SchemaBytes(stored.Schema));
        Assert.All(stored.Batch.Arrays, array => Assert.Equal(0, array.NullCount));
        var batch = stored.Batch;
        Assert.Equal(1_000_000_000_999L, ((Int64Array)batch.Column("id")).GetValue(999));
        Assert.Equal(Math.Sqrt(500), ((DoubleArray)batch.Column("score")).GetValue(500));
        Assert.Equal(7.5f, ((FloatArray)batch.Column("weight")).GetValue(30));
        Assert.Equal(new DateOnly(2025, 1, 11), ((Date32Array)batch.Column("day")).GetDateOnly(10));
        Assert.Equal(epoch.AddMinutes(90), ((TimestampArray)batch.Column("at")).GetTimestamp(90));
        Assert.Equal((Half)42, ((HalfFloatArray)batch.Column("half")).GetValue(242));
        Assert.Equal((sbyte)-127, ((Int8Array)batch.Column("small")).GetValue(1));
        Assert.Equal(-500m, ((Decimal128Array)batch.Column("money")).GetValue(0));
        Assert.Equal(499m, ((Decimal128Array)batch.Column("money")).GetValue(999));
        Assert.True(ArrowSamples.LiesInABlob(stored.Handle, MemoryMarshal.AsBytes(((DoubleArray)batch.Column("score")).Values)));
        var stats = await client.GetStatsAsync(Cancellation);
        Assert.Equal((1, 0), (stats.Objects, stats.UnsealedBlobs));
    }

    [Fact]
    public async Task Writing_a_column_in_place_as_the_wrong_element_type_is_refused_with_a_clear_error()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var schema = new Schema.Builder()
            .Field(new Field("count", Int32Type.Default, false))
            .Field(new Field("mean", DoubleType.Default, false))
            .Field(new Field("at", new TimestampType(TimeUnit.Nanosecond, "UTC"), false))
            .Field(new Field("money", new Decimal128Type(20, 2), false))
            .Build();
        using var writer = await client.CreateRecordBatchAsync(schema, 4, Cancellation);

        // Same width, other type: a float written into an int32 column would store garbage.
        var sameWidth = Assert.Throws<ArgumentException>(() => { _ = writer.Column<float>("count"); });
        Assert.Contains("count", sameWidth.Message, StringComparison.Ordinal);
        Assert.Contains("int32", sameWidth.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Int32), sameWidth.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Single), sameWidth.Message, StringComparison.Ordinal);
        var otherWidth = Assert.Throws<ArgumentException>(() => { _ = writer.Column<long>(1); });
        Assert.Contains("mean", otherWidth.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Int64), otherWidth.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => { _ = writer.Column<DateTime>("at"); });
        var decimalWidth = Assert.Throws<ArgumentException>(() => { _ = writer.Column<long>("money"); });
        Assert.Contains("16-byte", decimalWidth.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ArgumentException>(() => { _ = writer.Column<int>("total"); });
        Assert.Contains("'total'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("count, mean, at, money", unknown.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = writer.Column<int>(4); });

        Assert.Equal(4, writer.Column<int>("count").Length);
        Assert.Equal(4, writer.Column<long>("at").Length);
        Assert.Equal(4, writer.Column<decimal>("money").Length);

        foreach (var field in new[]
        {
            new Field("name", StringType.Default, false),
            new Field("flag", BooleanType.Default, false),
            new Field("color", ArrowSamples.Colors, false),
            new Field("vector", new FixedSizeListType(FloatType.Default, 3), false),
        })
        {
            var refused = await Assert.ThrowsAsync<ArgumentException>(
                () => client.CreateRecordBatchAsync(new Schema.Builder().Field(field).Build(), 4, Cancellation));
            Assert.Contains(field.Name, refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_cli_exports_a_stored_batch_as_an_arrow_ipc_file_that_arrow_reads()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var original = ArrowSamples.EveryType();
        var id = await client.PutRecordBatchAsync(original, new PutOptions { Name = "every-type" }, Cancellation);
        var path = Path.Combine(daemon.Directory, "every-type.arrow");

        var (exitCode, output) = await daemon.CliAsync(Cancellation, "get", "every-type", "--to-file", path);

        Assert.True(exitCode == 0, output);
        Assert.Contains(id.ToString(), output, StringComparison.Ordinal);
        using var reader = ArrowFileReader.FromFile(path);
        Assert.Equal(1, await reader.RecordBatchCountAsync());
        var batch = await reader.ReadRecordBatchAsync(0, Cancellation);
        Assert.Equal(ArrowSamples.SchemaBytes(original.Schema), ArrowSamples.SchemaBytes(reader.Schema));
        Assert.Equal(ArrowSamples.IpcBytes(original), ArrowSamples.IpcBytes(batch));
        AssertSampleValues(batch);
    }

    [Fact]
    public async Task The_cli_puts_an_arrow_ipc_file_as_a_table()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var batches = new[] { ArrowSamples.Numbers(0, 100), ArrowSamples.Numbers(100, 1), ArrowSamples.Numbers(101, 50) };
        var source = Path.Combine(daemon.Directory, "numbers.arrow");
        await WriteArrowFileAsync(source, batches);

        var (exitCode, output) = await daemon.CliAsync(Cancellation, "put", "--from-file", source, "--name", "numbers");

        Assert.True(exitCode == 0, output);
        using var stored = await client.GetTableAsync("numbers", cancellationToken: Cancellation);
        Assert.Contains(stored.Id.ToString(), output, StringComparison.Ordinal);
        Assert.Equal(151, stored.ToTable().RowCount);
        Assert.Equal(ArrowSamples.SchemaBytes(ArrowSamples.NumbersSchema), ArrowSamples.SchemaBytes(stored.Schema));
        Assert.All(batches.Zip(stored.Batches), pair => Assert.Equal(ArrowSamples.IpcBytes(pair.First), ArrowSamples.IpcBytes(pair.Second)));
    }

    /// <summary>
    /// The file the CLI writes is read by another Arrow implementation, JavaScript's apache-arrow from npm,
    /// installed once into a cache under the temporary directory; skipped when node, npm or the registry is missing.
    /// </summary>
    [Fact]
    public async Task The_cli_export_is_read_by_the_javascript_arrow_implementation()
    {
        var arrowJs = await ArrowJs.LocateAsync(Cancellation);
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var batches = new[] { ArrowSamples.Numbers(0, 40), ArrowSamples.Numbers(40, 25) };
        await client.PutTableAsync(batches, new PutOptions { Name = "for-js" }, Cancellation);
        var path = Path.Combine(daemon.Directory, "for-js.arrow");
        var (exitCode, output) = await daemon.CliAsync(Cancellation, "get", "for-js", "--to-file", path);
        Assert.True(exitCode == 0, output);

        var result = await arrowJs.SummarizeAsync(path, Cancellation);

        var x = batches.SelectMany(b => ((Int32Array)b.Column("x")).Values.ToArray()).ToArray();
        var y = batches.SelectMany(b => Enumerable.Range(0, b.Length).Select(i => ((DoubleArray)b.Column("y")).GetValue(i))).ToArray();
        Assert.Equal(65, result.GetProperty("rows").GetInt32());
        Assert.Equal(2, result.GetProperty("batches").GetInt32());
        Assert.Equal(x.Sum(), result.GetProperty("xSum").GetInt64());
        Assert.Equal(y.Sum(v => v ?? 0), result.GetProperty("ySum").GetDouble(), 9);
        Assert.Equal(y.Count(v => v is null), result.GetProperty("yNulls").GetInt32());
        Assert.Equal("row 64", result.GetProperty("lastName").GetString());
        Assert.Equal("numbers", result.GetProperty("source").GetString());
        Assert.Equal(["x", "y", "name"], result.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
    }

    /// <summary>Spot checks of <see cref="ArrowSamples.EveryType"/>'s values, the tricky ones especially.</summary>
    private static void AssertSampleValues(RecordBatch batch)
    {
        static IEnumerable<T> Each<T>(int count, Func<int, T> value) => Enumerable.Range(0, count).Select(value);
        const int rows = ArrowSamples.Rows;

        var i32 = (Int32Array)batch.Column("i32");
        Assert.Equal([1, null, 3, 4, 5, int.MinValue], Each(rows, i => i32.GetValue(i)));
        Assert.Equal(ulong.MaxValue, ((UInt64Array)batch.Column("u64")).GetValue(0));
        Assert.True(Half.IsNaN(((HalfFloatArray)batch.Column("f16")).GetValue(4)!.Value));
        Assert.Null(((FloatArray)batch.Column("f32")).GetValue(2));
        Assert.True(float.IsNaN(((FloatArray)batch.Column("f32")).GetValue(1)!.Value));
        Assert.Equal([true, null, false, true, null, false], Each(rows, i => ((BooleanArray)batch.Column("bool")).GetValue(i)));
        var slicedBools = (BooleanArray)batch.Column("bool_sliced");
        Assert.Equal([true, false, false, true, true, false], Each(rows, i => slicedBools.GetValue(i)));
        var strings = (StringArray)batch.Column("utf8");
        Assert.Equal(["a", null, "", "héllo ✓", "ccc", "end"], Each(rows, i => strings.GetString(i)));
        var slicedStrings = (StringArray)batch.Column("utf8_sliced");
        Assert.Equal(["two", null, "four", "", "six", null], Each(rows, i => slicedStrings.GetString(i)));
        Assert.Equal("zzz", ((LargeStringArray)batch.Column("large_utf8")).GetString(3));
        var binary = (BinaryArray)batch.Column("binary");
        Assert.Equal(new byte[] { 1, 2, 3 }, binary.GetBytes(0).ToArray());
        Assert.True(binary.IsNull(1));
        Assert.Equal(0, binary.GetBytes(2).Length);
        Assert.Equal(99_999_999_999_999.9999m, ((Decimal128Array)batch.Column("decimal")).GetValue(4));
        Assert.Null(((Decimal128Array)batch.Column("decimal")).GetValue(2));
        Assert.Equal(new DateOnly(2000, 2, 29), ((Date32Array)batch.Column("date32")).GetDateOnly(3));
        Assert.Equal(new DateOnly(1969, 7, 20), ((Date64Array)batch.Column("date64")).GetDateOnly(1));
        Assert.Equal(new DateOnly(1900, 12, 31), ((Date64Array)batch.Column("date64")).GetDateOnly(4));
        var timestamps = (TimestampArray)batch.Column("timestamp");
        Assert.Equal(new DateTimeOffset(2024, 3, 31, 1, 30, 0, TimeSpan.Zero), timestamps.GetTimestamp(1));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(-10), timestamps.GetTimestamp(3));
        Assert.Null(timestamps.GetTimestamp(2));
        Assert.Equal(new TimeOnly(23, 59, 59, 999), ((Time32Array)batch.Column("time32")).GetTime(3));
        Assert.Equal(new TimeOnly(6, 30), ((Time64Array)batch.Column("time64")).GetTime(5));
        Assert.Equal((long)TimeSpan.FromDays(-3).TotalMilliseconds, ((DurationArray)batch.Column("duration")).GetValue(3));

        var lists = (ListArray)batch.Column("list");
        Assert.Equal([2, 0, 0, 1, 3, 2], Each(rows, lists.GetValueLength));
        Assert.True(lists.IsNull(1));
        Assert.Equal([4, 5, 6], ((Int32Array)lists.GetSlicedValues(4)).Values.ToArray());
        var lastList = (Int32Array)lists.GetSlicedValues(5);
        Assert.Equal([null, 7], Each(2, lastList.GetValue));
        var largeLists = (LargeListArray)batch.Column("large_list");
        Assert.True(largeLists.IsNull(2));
        var third = (StringArray)largeLists.GetSlicedValues(3);
        Assert.Equal(["b", null, "c"], Each(3, i => third.GetString(i)));
        var vectors = (FixedSizeListArray)batch.Column("fixed_size_list");
        Assert.Equal([4f, 4.5f, 4.25f], ((FloatArray)vectors.GetSlicedValues(4)).Values.ToArray());

        var structs = (StructArray)batch.Column("struct");
        Assert.Equal([false, false, true, false, false, false], Each(rows, structs.IsNull));
        Assert.Equal(50, ((Int32Array)structs.Fields[0]).GetValue(5));
        Assert.Equal(["p", null, "r", null, "t", "u"], Each(rows, i => ((StringArray)structs.Fields[1]).GetString(i)));
        var inner = (StructArray)structs.Fields[2];
        Assert.Equal([false, false, true, false, false, true], Each(rows, inner.IsNull));
        Assert.Equal([1.5, null, 3.5, 4.5, null, 6.5], Each(rows, i => ((DoubleArray)inner.Fields[0]).GetValue(i)));

        var maps = (MapArray)batch.Column("map");
        Assert.True(maps.IsNull(2));
        Assert.Equal([2, 0, 0, 1, 1, 3], Each(rows, maps.GetValueLength));
        IEnumerable<string> Entries(int row) => maps
            .GetKeyValuePairs<StringArray, string, Int32Array, int?>(row, (k, i) => k.GetString(i), (v, i) => v.GetValue(i))
            .Select(pair => $"{pair.Key}={pair.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}");
        Assert.Equal(["a=1", "b=2"], Entries(0));
        Assert.Equal(["c=null"], Entries(3));
        Assert.Equal(["e=5", "f=6", "g=7"], Entries(5));

        var colors = (DictionaryArray)batch.Column("dictionary");
        var indices = (Int32Array)colors.Indices;
        Assert.Equal(
            ["red", "green", "red", "blue", null, "green"],
            Each(rows, i => indices.GetValue(i) is { } index ? ((StringArray)colors.Dictionary).GetString(index) : null));
        Assert.Equal([35L, 42, 49, 56, 63, 70], ((Int64Array)batch.Column("i64_sliced")).Values.ToArray());
    }

    private static void ForEachBuffer(ArrayData data, Action<ArrowBuffer> visit)
    {
        foreach (var buffer in data.Buffers.Where(b => !b.IsEmpty))
        {
            visit(buffer);
        }

        foreach (var child in data.Children ?? [])
        {
            ForEachBuffer(child, visit);
        }

        if (data.Dictionary is { } dictionary)
        {
            ForEachBuffer(dictionary, visit);
        }
    }

    private static async Task WriteArrowFileAsync(string path, RecordBatch[] batches)
    {
        await using var file = File.Create(path);
        using var writer = new ArrowFileWriter(file, batches[0].Schema, leaveOpen: true);
        foreach (var batch in batches)
        {
            await writer.WriteRecordBatchAsync(batch, Cancellation);
        }

        await writer.WriteEndAsync(Cancellation);
    }

    /// <summary>
    /// The apache-arrow npm package, installed on first use into a cache under the temporary directory (so that
    /// later runs skip npm), and a node script that summarizes an Arrow IPC file as JSON.
    /// </summary>
    private sealed class ArrowJs(string node, string package)
    {
        private const string Version = "21.2.0";

        private const string Script = """
            const fs = require('fs');
            const { tableFromIPC } = require(process.argv[2]);
            const table = tableFromIPC(fs.readFileSync(process.argv[3]));
            let xSum = 0, ySum = 0, yNulls = 0;
            for (const x of table.getChild('x')) xSum += x;
            for (const y of table.getChild('y')) { if (y === null) yNulls++; else ySum += y; }
            const names = table.getChild('name');
            console.log(JSON.stringify({
              rows: table.numRows, batches: table.batches.length, xSum, ySum, yNulls,
              lastName: names.get(table.numRows - 1), source: table.schema.metadata.get('source'),
              fields: table.schema.fields.map(f => f.name),
            }));
            """;

        private static readonly SemaphoreSlim InstallGate = new(1, 1);

        public static async Task<ArrowJs> LocateAsync(CancellationToken cancellationToken)
        {
            var node = OnPath("node");
            var npm = OnPath("npm");
            if (node is null || npm is null)
            {
                Assert.Skip($"Cross-check with JavaScript's Arrow skipped: {(node is null ? "node" : "npm")} is not on the PATH.");
            }

            var cache = Path.Combine(Path.GetTempPath(), "fluid-aspire-test-cache", $"apache-arrow-{Version}");
            var package = Path.Combine(cache, "node_modules", "apache-arrow");
            await InstallGate.WaitAsync(cancellationToken);
            try
            {
                if (!File.Exists(Path.Combine(package, "package.json")))
                {
                    await InstallAsync(npm!, cache, cancellationToken);
                }
            }
            finally
            {
                InstallGate.Release();
            }

            return new ArrowJs(node!, package);
        }

        public async Task<JsonElement> SummarizeAsync(string arrowFile, CancellationToken cancellationToken)
        {
            var script = Path.Combine(Path.GetDirectoryName(arrowFile)!, "summarize.js");
            await File.WriteAllTextAsync(script, Script, cancellationToken);
            await using var run = ChildProcess.Start(node, [script, package, arrowFile]);
            var exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            Assert.True(exitCode == 0, $"node failed with exit code {exitCode}:\n{run.Output}");
            var json = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(line => line.StartsWith('{'));
            return JsonDocument.Parse(json).RootElement;
        }

        /// <summary>Installs into a fresh directory, then moves it into place, so that no reader sees half an install.</summary>
        private static async Task InstallAsync(string npm, string cache, CancellationToken cancellationToken)
        {
            var staging = $"{cache}.{Environment.ProcessId}.{Guid.NewGuid():N}";
            Directory.CreateDirectory(staging);
            try
            {
                await using var install = ChildProcess.Start(npm, [
                    "install", "--prefix", staging, "--no-audit", "--no-fund", "--no-save", "--no-package-lock", "--loglevel=error",
                    $"apache-arrow@{Version}",
                ]);
                int exitCode;
                try
                {
                    exitCode = await install.WaitForExitAsync(TimeSpan.FromSeconds(120), cancellationToken);
                }
                catch (TimeoutException)
                {
                    exitCode = -1;
                }

                if (exitCode != 0 || !File.Exists(Path.Combine(staging, "node_modules", "apache-arrow", "package.json")))
                {
                    Assert.Skip($"Cross-check with JavaScript's Arrow skipped: 'npm install apache-arrow@{Version}' failed ({exitCode}):\n{install.Output}");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
                try
                {
                    Directory.Move(staging, cache);
                }
                catch (IOException) when (File.Exists(Path.Combine(cache, "node_modules", "apache-arrow", "package.json")))
                {
                    // Another test process installed it first.
                }
            }
            finally
            {
                if (Directory.Exists(staging))
                {
                    Directory.Delete(staging, recursive: true);
                }
            }
        }

        private static string? OnPath(string program) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(directory => Path.Combine(directory, program))
                .FirstOrDefault(File.Exists);
    }
}
