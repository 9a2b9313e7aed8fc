using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Scalars;
using Apache.Arrow.Types;
using Fluid.Aspire.ObjectStore.Client;

namespace Fluid.Aspire.ObjectStore.Tests.Types;

/// <summary>Arrow data for the typed-layer tests: a batch with a column of every supported type, and comparisons.</summary>
internal static class ArrowSamples
{
    public const int Rows = 6;

    public static readonly TimestampType ParisMicroseconds = new(TimeUnit.Microsecond, "Europe/Paris");

    public static readonly StructType Inner = new([new Field("d", DoubleType.Default, nullable: true)]);

    public static readonly StructType Outer = new(
    [
        new Field("a", Int32Type.Default, nullable: false),
        new Field("b", StringType.Default, nullable: true, new Dictionary<string, string> { ["role"] = "label" }),
        new Field("c", Inner, nullable: true),
    ]);

    public static readonly MapType StringToInt = new(StringType.Default, Int32Type.Default);

    public static readonly DictionaryType Colors = new(Int32Type.Default, StringType.Default, ordered: false);

    /// <summary>
    /// Six rows of every type the store must keep: all integer and floating-point widths, booleans (one column a
    /// slice that starts mid-byte), strings, binary, decimal, dates, times, timestamp with a zone, duration, lists,
    /// a fixed-size list, a struct with nullable nested children, a map, a dictionary and sliced columns; nulls in
    /// most, and metadata on the schema and on fields (nested ones too).
    /// </summary>
    public static RecordBatch EveryType()
    {
        var columns = new List<(Field Field, IArrowArray Array)>
        {
            (new Field("i8", Int8Type.Default, true), Build(new Int8Array.Builder(), sbyte.MinValue, -1, 0, null, 1, sbyte.MaxValue)),
            (new Field("i16", Int16Type.Default, true), Build(new Int16Array.Builder(), short.MinValue, -2, 0, 2, null, short.MaxValue)),
            (new Field("i32", Int32Type.Default, true, new Dictionary<string, string> { ["unit"] = "count" }),
                Build(new Int32Array.Builder(), 1, null, 3, 4, 5, int.MinValue)),
            (new Field("i64", Int64Type.Default, true), Build(new Int64Array.Builder(), long.MinValue, -3, 0, 3, long.MaxValue, null)),
            (new Field("u8", UInt8Type.Default, true), Build(new UInt8Array.Builder(), 0, 1, 2, null, 254, byte.MaxValue)),
            (new Field("u16", UInt16Type.Default, false), Build(new UInt16Array.Builder(), 0, 1, 2, 3, 60000, ushort.MaxValue)),
            (new Field("u32", UInt32Type.Default, true), Build(new UInt32Array.Builder(), uint.MaxValue, null, 0, 7, 8, 9)),
            (new Field("u64", UInt64Type.Default, true), Build(new UInt64Array.Builder(), ulong.MaxValue, 0, null, 1UL << 63, 5, 6)),
            (new Field("f16", HalfFloatType.Default, true),
                Build(new HalfFloatArray.Builder(), (Half)0.5, (Half)(-1.25), Half.MaxValue, null, Half.NaN, Half.Epsilon)),
            (new Field("f32", FloatType.Default, true),
                Build(new FloatArray.Builder(), 1.5f, float.NaN, null, float.PositiveInfinity, -0f, float.MaxValue)),
            (new Field("f64", DoubleType.Default, true),
                Build(new DoubleArray.Builder(), Math.PI, null, -1e300, double.Epsilon, 0, double.NegativeInfinity)),
            (new Field("bool", BooleanType.Default, true), Booleans(true, null, false, true, null, false)),
            (new Field("bool_sliced", BooleanType.Default, false),
                Booleans(true, false, true, true, false, false, true, true, false, true, true, false, true).Slice(3, Rows)),
            (new Field("utf8", StringType.Default, true),
                new StringArray.Builder().Append("a").AppendNull().Append("").Append("héllo ✓").Append("ccc").Append("end").Build()),
            (new Field("utf8_sliced", StringType.Default, true),
                Strings("0", "1", "two", null, "four", "", "six", null, "eight", "nine").Slice(2, Rows)),
            (new Field("large_utf8", LargeStringType.Default, true),
                new LargeStringArray.Builder().Append("x").Append("yy").AppendNull().Append("zzz").Append("").Append("w").Build()),
            (new Field("binary", BinaryType.Default, true),
                new BinaryArray.Builder().Append([1, 2, 3]).AppendNull().Append([]).Append([0xff]).Append([0, 0]).Append([9]).Build()),
            (new Field("decimal", new Decimal128Type(18, 4), true),
                new Decimal128Array.Builder(new Decimal128Type(18, 4))
                    .Append(1.2345m).Append(-2m).AppendNull().Append(0m).Append(99_999_999_999_999.9999m).Append(-0.0001m).Build()),
            (new Field("date32", Date32Type.Default, true), Dates(new Date32Array.Builder()).Build()),
            (new Field("date64", Date64Type.Default, true), Dates(new Date64Array.Builder()).Build()),
            (new Field("timestamp", ParisMicroseconds, true), Timestamps()),
            (new Field("time32", new Time32Type(TimeUnit.Millisecond), true),
                new Time32Array.Builder(TimeUnit.Millisecond)
                    .Append(new TimeOnly(1, 2, 3, 4)).AppendNull().Append(TimeOnly.MinValue).Append(new TimeOnly(23, 59, 59, 999))
                    .Append(new TimeOnly(12, 0)).Append(new TimeOnly(0, 0, 1)).Build()),
            (new Field("time64", new Time64Type(TimeUnit.Nanosecond), true),
                new Time64Array.Builder(TimeUnit.Nanosecond)
                    .Append(new TimeOnly(1, 2, 3)).AppendNull().Append(TimeOnly.MinValue).Append(new TimeOnly(23, 59))
                    .Append(new TimeOnly(12, 0)).Append(new TimeOnly(6, 30)).Build()),
            (new Field("duration", DurationType.Millisecond, true),
                new DurationArray.Builder(DurationType.Millisecond)
                    .Append(TimeSpan.FromMilliseconds(1)).Append((TimeSpan?)null).Append(TimeSpan.Zero).Append(TimeSpan.FromDays(-3))
                    .Append(TimeSpan.FromHours(1)).Append(TimeSpan.FromSeconds(90)).Build()),
            (new Field("list", new ListType(new Field("item", Int32Type.Default, true)), true), IntLists()),
            (new Field("large_list", new LargeListType(new Field("item", StringType.Default, true)), true), LargeStringLists()),
            (new Field("fixed_size_list", new FixedSizeListType(new Field("item", FloatType.Default, false), 3), false), Vectors(Rows)),
            (new Field("struct", Outer, true, new Dictionary<string, string> { ["k"] = "v" }), Structs()),
            (new Field("map", StringToInt, true), Maps()),
            (new Field("dictionary", Colors, true), ColorsColumn()),
            (new Field("i64_sliced", Int64Type.Default, false),
                Build(new Int64Array.Builder(), [.. Enumerable.Range(0, 20).Select(i => (long?)(i * 7))]).Slice(5, Rows)),
        };

        var schema = new Schema(columns.Select(c => c.Field), new Dictionary<string, string> { ["producer"] = "fluid-tests", ["version"] = "1" });
        return new RecordBatch(schema, columns.Select(c => c.Array), Rows);
    }

    /// <summary>
    /// Six rows of the rarer types: a null column, sparse and dense unions, string views (with strings long
    /// enough to live in a variadic data buffer), run-end encoding, decimal256, a month-day-nanosecond interval,
    /// fixed-size binary, a list view and a list of dictionary-encoded strings.
    /// </summary>
    public static RecordBatch Rarer()
    {
        var unionFields = new[] { new Field("i", Int32Type.Default, true), new Field("s", StringType.Default, true) };
        var sparseType = new UnionType(unionFields, [0, 1], UnionMode.Sparse);
        var sparse = new SparseUnionArray(
            sparseType,
            Rows,
            [Build(new Int32Array.Builder(), 10, 11, 12, 13, 14, 15), Strings("a", "b", "c", "d", "e", "f")],
            new ArrowBuffer.Builder<byte>().AppendRange([0, 1, 0, 1, 1, 0]).Build());
        var denseType = new UnionType(unionFields, [0, 1], UnionMode.Dense);
        var dense = new DenseUnionArray(
            denseType,
            Rows,
            [Build(new Int32Array.Builder(), 1, 2, 3), Strings("x", null, "z")],
            new ArrowBuffer.Builder<byte>().AppendRange([0, 1, 0, 1, 1, 0]).Build(),
            new ArrowBuffer.Builder<int>().AppendRange([0, 0, 1, 1, 2, 2]).Build());
        var views = new StringViewArray.Builder()
            .Append("short").AppendNull().Append("a string longer than twelve bytes").Append("")
            .Append("another rather long string, kept out of line").Append("tiny").Build();
        var runs = new RunEndEncodedArray(Build(new Int32Array.Builder(), 2, 5, 6), Strings("first", "second", null));
        var wide = new Decimal256Array.Builder(new Decimal256Type(40, 5))
            .Append(1.5m).AppendNull().Append(-123456789.12345m).Append(0m).Append(decimal.MaxValue).Append(decimal.MinValue).Build();
        var intervals = Build(
            new MonthDayNanosecondIntervalArray.Builder(),
            new MonthDayNanosecondInterval(1, 2, 3), null, new MonthDayNanosecondInterval(-1, 0, long.MaxValue),
            new MonthDayNanosecondInterval(0, 0, 0), new MonthDayNanosecondInterval(12, 31, 1), new MonthDayNanosecondInterval(0, -7, -1));
        var fixedBinaryType = new FixedSizeBinaryType(4);
        var fixedBinary = new Apache.Arrow.Arrays.FixedSizeBinaryArray(new ArrayData(
            fixedBinaryType, Rows, 1, 0,
            [Validity(true, true, true, false, true, true), new ArrowBuffer(Enumerable.Range(0, Rows * 4).Select(i => (byte)i).ToArray())]));
        var listViews = new ListViewArray.Builder(Int32Type.Default);
        var listViewValues = (Int32Array.Builder)listViews.ValueBuilder;
        foreach (var length in new[] { 2, 0, 1, 3, 0, 1 })
        {
            listViews.Append();
            for (var i = 0; i < length; i++)
            {
                listViewValues.Append(length * 10 + i);
            }
        }

        var colorIndices = ColorsColumn();
        var colorListType = new ListType(new Field("item", Colors, true));
        var colorLists = new ListArray(
            colorListType, Rows, new ArrowBuffer.Builder<int>().AppendRange([0, 2, 2, 3, 4, 6, 6]).Build(), colorIndices, ArrowBuffer.Empty);

        var columns = new List<(Field Field, IArrowArray Array)>
        {
            (new Field("null", NullType.Default, true), new NullArray(Rows)),
            (new Field("sparse_union", sparseType, true), sparse),
            (new Field("dense_union", denseType, true), dense),
            (new Field("string_view", StringViewType.Default, true), views),
            (new Field("run_end_encoded", runs.Data.DataType, true), runs),
            (new Field("decimal256", new Decimal256Type(40, 5), true), wide),
            (new Field("interval", IntervalType.MonthDayNanosecond, true), intervals),
            (new Field("fixed_size_binary", fixedBinaryType, true), fixedBinary),
            (new Field("list_view", new ListViewType(Int32Type.Default), true), listViews.Build()),
            (new Field("color_lists", colorListType, true), colorLists),
        };
        var schema = new Schema(columns.Select(c => c.Field), new Dictionary<string, string> { ["kind"] = "rarer" });
        return new RecordBatch(schema, columns.Select(c => c.Array), Rows);
    }

    /// <summary>The batch in the Arrow IPC stream format: equal bytes mean equal schemas and equal values.</summary>
    public static byte[] IpcBytes(RecordBatch batch)
    {
        using var stream = new MemoryStream();
        using (var writer = new ArrowStreamWriter(stream, batch.Schema, leaveOpen: true))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }

        return stream.ToArray();
    }

    /// <summary>The schema as Arrow serializes it: equal bytes mean equal names, types, nullability and metadata.</summary>
    public static byte[] SchemaBytes(Schema schema) => ArrowSerializationHelpers.SerializeSchema(schema);

    /// <summary>A batch of the "x" (int32), "y" (double, null at every 7th row) and "name" (utf8) columns.</summary>
    public static RecordBatch Numbers(int start, int rows)
    {
        var x = new Int32Array.Builder();
        var y = new DoubleArray.Builder();
        var name = new StringArray.Builder();
        for (var i = start; i < start + rows; i++)
        {
            x.Append(i);
            y.Append(i % 7 == 0 ? null : i * 0.5);
            name.Append($"row {i}");
        }

        return new RecordBatch(NumbersSchema, [x.Build(), y.Build(), name.Build()], rows);
    }

    public static Schema NumbersSchema { get; } = new Schema.Builder()
        .Field(new Field("x", Int32Type.Default, false))
        .Field(new Field("y", DoubleType.Default, true))
        .Field(new Field("name", StringType.Default, false))
        .Metadata("source", "numbers")
        .Build();

    /// <summary>True when <paramref name="bytes"/> lie inside one of the handle's blobs: read in place, not copied.</summary>
    public static unsafe bool LiesInABlob(ObjectHandle handle, ReadOnlySpan<byte> bytes)
    {
        var start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(bytes));
        var end = start + bytes.Length;
        return handle.Blobs.Any(blob => start >= blob.Address && end <= blob.Address + (nint)blob.Length);
    }

    public static FixedSizeListArray Vectors(int rows, int first = 0)
    {
        var builder = new FixedSizeListArray.Builder(new Field("item", FloatType.Default, false), 3);
        var values = (FloatArray.Builder)builder.ValueBuilder;
        for (var i = first; i < first + rows; i++)
        {
            builder.Append();
            values.Append(i).Append(i + 0.5f).Append(i + 0.25f);
        }

        return builder.Build();
    }

    private static TArray Build<TArray, TBuilder, T>(IArrowArrayBuilder<T, TArray, TBuilder> builder, params T?[] values)
        where T : struct
        where TArray : IArrowArray
        where TBuilder : IArrowArrayBuilder<TArray>
    {
        foreach (var value in values)
        {
            if (value is { } v)
            {
                builder.Append(v);
            }
            else
            {
                builder.AppendNull();
            }
        }

        return builder.Build(default);
    }

    private static BooleanArray Booleans(params bool?[] values) => Build(new BooleanArray.Builder(), values);

    private static StringArray Strings(params string?[] values)
    {
        var builder = new StringArray.Builder();
        foreach (var value in values)
        {
            if (value is null)
            {
                builder.AppendNull();
            }
            else
            {
                builder.Append(value);
            }
        }

        return builder.Build();
    }

    private static Date32Array.Builder Dates(Date32Array.Builder builder) => builder
        .Append(new DateOnly(2024, 1, 2)).AppendNull().Append(new DateOnly(1970, 1, 1)).Append(new DateOnly(2000, 2, 29))
        .Append(new DateOnly(1900, 12, 31)).Append(new DateOnly(2030, 6, 15));

    private static Date64Array.Builder Dates(Date64Array.Builder builder) => builder
        .Append(new DateOnly(2024, 1, 2)).Append(new DateOnly(1969, 7, 20)).AppendNull().Append(new DateOnly(2000, 2, 29))
        .Append(new DateOnly(1900, 12, 31)).Append(new DateOnly(2030, 6, 15));

    private static TimestampArray Timestamps()
    {
        var builder = new TimestampArray.Builder(ParisMicroseconds);
        builder.Append(DateTimeOffset.UnixEpoch).Append(new DateTimeOffset(2024, 3, 31, 2, 30, 0, TimeSpan.FromHours(1))).AppendNull()
            .Append(DateTimeOffset.UnixEpoch.AddTicks(-10)).Append(new DateTimeOffset(2099, 12, 31, 23, 59, 59, TimeSpan.Zero))
            .Append(DateTimeOffset.UnixEpoch.AddDays(1));
        return builder.Build();
    }

    /// <summary>[1, 2], null, [], [3], [4, 5, 6], [null, 7].</summary>
    private static ListArray IntLists()
    {
        var builder = new ListArray.Builder(new Field("item", Int32Type.Default, true));
        var values = (Int32Array.Builder)builder.ValueBuilder;
        builder.Append();
        values.Append(1).Append(2);
        builder.AppendNull();
        builder.Append();
        builder.Append();
        values.Append(3);
        builder.Append();
        values.Append(4).Append(5).Append(6);
        builder.Append();
        values.AppendNull().Append(7);
        return builder.Build();
    }

    /// <summary>["a"], [], null, ["b", null, "c"], [""], ["d", "e"].</summary>
    private static LargeListArray LargeStringLists()
    {
        var builder = new LargeListArray.Builder(new Field("item", StringType.Default, true));
        var values = (StringArray.Builder)builder.ValueBuilder;
        builder.Append();
        values.Append("a");
        builder.Append();
        builder.AppendNull();
        builder.Append();
        values.Append("b").AppendNull().Append("c");
        builder.Append();
        values.Append("");
        builder.Append();
        values.Append("d").Append("e");
        return builder.Build();
    }

    /// <summary>Row 2 is null; "b" is null in rows 1 and 3; "c" is null in rows 2 and 5, and "c.d" in rows 1 and 4.</summary>
    private static StructArray Structs()
    {
        var d = Build(new DoubleArray.Builder(), 1.5, null, 3.5, 4.5, null, 6.5);
        var c = new StructArray(Inner, Rows, [d], Validity(true, true, false, true, true, false), nullCount: 2);
        var a = Build(new Int32Array.Builder(), 0, 10, 20, 30, 40, 50);
        var b = new StringArray.Builder().Append("p").AppendNull().Append("r").AppendNull().Append("t").Append("u").Build();
        return new StructArray(Outer, Rows, [a, b, c], Validity(true, true, false, true, true, true), nullCount: 1);
    }

    /// <summary>{a: 1, b: 2}, {}, null, {c: null}, {d: 4}, {e: 5, f: 6, g: 7}.</summary>
    private static MapArray Maps()
    {
        var builder = new MapArray.Builder(StringToInt);
        var keys = (StringArray.Builder)builder.KeyBuilder;
        var values = (Int32Array.Builder)builder.ValueBuilder;
        builder.Append();
        keys.Append("a").Append("b");
        values.Append(1).Append(2);
        builder.Append();
        builder.AppendNull();
        builder.Append();
        keys.Append("c");
        values.AppendNull();
        builder.Append();
        keys.Append("d");
        values.Append(4);
        builder.Append();
        keys.Append("e").Append("f").Append("g");
        values.Append(5).Append(6).Append(7);
        return builder.Build();
    }

    /// <summary>red, green, red, blue, null, green.</summary>
    private static DictionaryArray ColorsColumn() => new(
        Colors,
        Build(new Int32Array.Builder(), 0, 1, 0, 2, null, 1),
        new StringArray.Builder().Append("red").Append("green").Append("blue").Build());

    private static ArrowBuffer Validity(params bool[] valid) => new ArrowBuffer.BitmapBuilder().AppendRange(valid).Build();
}
