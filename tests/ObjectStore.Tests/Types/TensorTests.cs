using System.Runtime.InteropServices;
using Fluid.Aspire.ObjectStore.Client.Arrow;
using Fluid.Aspire.ObjectStore.Client.Tensors;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests.Types;

/// <summary>Tensors: elements of any unmanaged type in one blob, shape and byte strides in the metadata, read in place.</summary>
public sealed class TensorTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tensors_of_every_numeric_element_type_round_trip_with_their_values_shape_and_dtype()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);

        await RoundTripAsync<float>(client, "float32", [1.5f, -0f, float.NaN, float.MaxValue, float.Epsilon, -3], [2, 3]);
        await RoundTripAsync<double>(client, "float64", [Math.PI, double.NegativeInfinity, 0, 1e-300], [4]);
        await RoundTripAsync<int>(client, "int32", [.. Enumerable.Range(-4, 8)], [2, 2, 2]);
        await RoundTripAsync<long>(client, "int64", [long.MinValue, 0, long.MaxValue], [3, 1]);
        await RoundTripAsync<byte>(client, "uint8", [.. Enumerable.Range(0, 256).Select(i => (byte)i)], [16, 16]);
        await RoundTripAsync<bool>(client, "bool", [true, false, false, true, true], [5]);
        await RoundTripAsync<Half>(client, "float16", [(Half)0.5, Half.MaxValue, Half.NaN, (Half)(-2)], [2, 2]);
        await RoundTripAsync<sbyte>(client, "int8", [sbyte.MinValue, -1, 0, sbyte.MaxValue], [4]);
        await RoundTripAsync<short>(client, "int16", [short.MinValue, short.MaxValue], [1, 2]);
        await RoundTripAsync<ushort>(client, "uint16", [ushort.MaxValue, 1], [2]);
        await RoundTripAsync<uint>(client, "uint32", [uint.MaxValue, 2, 3], [3]);
        await RoundTripAsync<ulong>(client, "uint64", [ulong.MaxValue], [1, 1, 1]);
    }

    [Fact]
    public async Task A_tensor_filled_in_place_records_row_major_byte_strides_and_is_indexed_by_position()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var writer = await client.CreateTensorAsync<double>([2, 3, 4], Cancellation);
        Assert.Equal(24, writer.Span.Length);
        for (var i = 0; i < writer.Span.Length; i++)
        {
            writer.Span[i] = i * 0.5;
        }

        var id = await writer.SealAsync(new PutOptions { Name = "cube" }, Cancellation);
        Assert.Throws<InvalidOperationException>(() => { _ = writer.Span; });

        using var tensor = await client.GetTensorAsync<double>("cube", cancellationToken: Cancellation);
        Assert.Equal(id, tensor.Id);
        Assert.Equal(TensorLayout.TypeName, tensor.Handle.TypeName);
        Assert.Equal("float64", tensor.Handle.Meta.Fields["dtype"]);
        Assert.Equal("[2,3,4]", tensor.Handle.Meta.Fields["shape"]);
        Assert.Equal("[96,32,8]", tensor.Handle.Meta.Fields["strides"]);
        Assert.Equal([2L, 3, 4], tensor.Shape);
        Assert.Equal([96L, 32, 8], tensor.Layout.Strides);
        Assert.Equal(24, tensor.Layout.Length);
        Assert.Equal(11.5, tensor[1, 2, 3]);
        Assert.Equal(2, tensor[0, 1, 0]);
        for (long i = 0; i < 2; i++)
        {
            for (long j = 0; j < 3; j++)
            {
                for (long k = 0; k < 4; k++)
                {
                    Assert.Equal(((i * 12) + (j * 4) + k) * 0.5, tensor[i, j, k]);
                }
            }
        }

        Assert.True(ArrowSamples.LiesInABlob(tensor.Handle, MemoryMarshal.AsBytes(tensor.Span)));
        Assert.True(ArrowSamples.LiesInABlob(tensor.Handle, MemoryMarshal.AsBytes(tensor.Memory.Span)));

        int[] six = [1, 2, 3, 4, 5, 6];
        var matrixId = await client.PutTensorAsync<int>(six, [3, 2], cancellationToken: Cancellation);
        using var matrix = await client.GetTensorAsync<int>(matrixId, cancellationToken: Cancellation);
        Assert.Equal([8L, 4], matrix.Layout.Strides);
        Assert.Equal(6, matrix[2, 1]);
        Assert.Equal(3, matrix[1, 0]);
    }

    [Fact]
    public async Task A_column_major_tensor_is_indexed_through_its_strides_and_refuses_a_span()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var writer = await client.CreateTensorAsync<int>(TensorLayout.ColumnMajor<int>([2, 3]), Cancellation);
        for (long i = 0; i < 2; i++)
        {
            for (long j = 0; j < 3; j++)
            {
                writer[i, j] = (int)((i * 10) + j);
            }
        }

        // Column-major: the first index varies fastest in memory.
        Assert.Equal([0, 10, 1, 11, 2, 12], writer.Storage.ToArray());
        Assert.Throws<InvalidOperationException>(() => writer.Span.Length);
        var id = await writer.SealAsync(cancellationToken: Cancellation);

        using var tensor = await client.GetTensorAsync<int>(id, cancellationToken: Cancellation);
        Assert.Equal("[4,8]", tensor.Handle.Meta.Fields["strides"]);
        Assert.False(tensor.IsContiguous);
        Assert.Equal(12, tensor[1, 2]);
        Assert.Equal(1, tensor[0, 1]);
        var error = Assert.Throws<InvalidOperationException>(() => tensor.Span.Length);
        Assert.Contains("[4, 8]", error.Message, StringComparison.Ordinal);
        Assert.Contains("indexer", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => tensor.Memory.Length);
    }

    [Fact]
    public async Task A_tensor_with_arbitrary_strides_reads_the_elements_they_address()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        double[] storage = [.. Enumerable.Range(0, 12).Select(i => (double)i)];

        // Every other column of a 3x4 row-major matrix, and a row broadcast down a dimension of stride 0.
        var everyOther = await client.PutStridedTensorAsync<double>(storage, TensorLayout.Strided<double>([3, 2], [32, 16]), cancellationToken: Cancellation);
        var broadcast = await client.PutStridedTensorAsync<double>(storage, TensorLayout.Strided<double>([5, 4], [0, 8]), cancellationToken: Cancellation);

        using var columns = await client.GetTensorAsync<double>(everyOther, cancellationToken: Cancellation);
        Assert.Equal([0.0, 2, 4, 6, 8, 10], [columns[0, 0], columns[0, 1], columns[1, 0], columns[1, 1], columns[2, 0], columns[2, 1]]);
        Assert.Equal(11 * 8, columns.Handle.Blobs[0].Length);
        Assert.False(columns.IsContiguous);
        using var rows = await client.GetTensorAsync<double>(broadcast, cancellationToken: Cancellation);
        Assert.Equal(3.0, rows[4, 3]);
        Assert.Equal(32, rows.Handle.Blobs[0].Length);

        var misaligned = Assert.Throws<ArgumentException>(() => TensorLayout.Strided<double>([2, 2], [16, 4]));
        Assert.Contains("multiple of the element size (8)", misaligned.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TensorLayout.Strided<double>([2, 2], [8]));
        var short_ = await Assert.ThrowsAsync<ArgumentException>(
            () => client.PutStridedTensorAsync<double>(new double[5], TensorLayout.Strided<double>([3, 2], [32, 16]), cancellationToken: Cancellation));
        Assert.Contains("11 elements", short_.Message, StringComparison.Ordinal);
        Assert.True(TensorLayout.Strided<double>([3, 4], [32, 8]).IsRowMajor(sizeof(double)));
    }

    [Fact]
    public async Task A_stored_layout_that_reaches_past_its_buffer_is_refused_on_get()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var blob = await client.CreateBlobAsync(16, Cancellation);
        var layout = TensorLayout.Strided<float>([4, 4], [16, 4]);
        var id = await client.CreateObjectAsync(layout.ToMeta(blob.Leaf()), cancellationToken: Cancellation);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetTensorAsync<float>(id, cancellationToken: Cancellation));

        Assert.Contains("reach 64 bytes into a buffer of 16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_indexer_checks_the_rank_and_every_index_against_the_shape()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutTensorAsync<float>(new float[24], [2, 3, 4], cancellationToken: Cancellation);
        using var tensor = await client.GetTensorAsync<float>(id, cancellationToken: Cancellation);

        var rank = Assert.Throws<ArgumentException>(() => tensor[1, 2]);
        Assert.Contains("3 dimensions", rank.Message, StringComparison.Ordinal);
        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => tensor[0, 3, 0]);
        Assert.Contains("Index 3 is outside dimension 1 of length 3", outside.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => tensor[-1, 0, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => tensor[0, 0, 4]);
        Assert.Equal(0f, tensor[1, 2, 3]);
    }

    [Fact]
    public async Task Getting_a_tensor_as_another_element_type_fails_naming_both_types()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        double[] values = [1.0, 2.0];
        var id = await client.PutTensorAsync<double>(values, options: new PutOptions { Name = "doubles" }, cancellationToken: Cancellation);

        var direct = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetTensorAsync<float>(id, cancellationToken: Cancellation));
        Assert.Contains("float64", direct.Message, StringComparison.Ordinal);
        Assert.Contains("float32", direct.Message, StringComparison.Ordinal);
        var sameSize = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetTensorAsync<long>("doubles", cancellationToken: Cancellation));
        Assert.Contains("float64", sameSize.Message, StringComparison.Ordinal);
        Assert.Contains("int64", sameSize.Message, StringComparison.Ordinal);
        var registry = await Assert.ThrowsAsync<InvalidOperationException>(
            () => client.GetAsync<TensorHandle<float>>("doubles", cancellationToken: Cancellation));
        Assert.Contains("float64", registry.Message, StringComparison.Ordinal);
        Assert.Contains("float32", registry.Message, StringComparison.Ordinal);

        ReadOnlyMemory<byte> data = new byte[] { 1, 2, 3 };
        var bytes = await client.PutAsync(data, cancellationToken: Cancellation);
        var notATensor = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetTensorAsync<byte>(bytes, cancellationToken: Cancellation));
        Assert.Contains(TensorLayout.TypeName, notATensor.Message, StringComparison.Ordinal);

        // The failed gets let go of the object: it can still be read, and deleted.
        using (var tensor = await client.GetTensorAsync<double>(id, cancellationToken: Cancellation))
        {
            Assert.Equal([1.0, 2.0], tensor.Span.ToArray());
        }

        await client.DeleteAsync(id, Cancellation);
    }

    [Fact]
    public async Task A_shape_that_does_not_hold_the_elements_is_refused_before_anything_is_allocated()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);

        var mismatch = await Assert.ThrowsAsync<ArgumentException>(
            () => client.PutTensorAsync<float>(new float[5], [2, 3], cancellationToken: Cancellation));
        Assert.Contains("[2, 3]", mismatch.Message, StringComparison.Ordinal);
        Assert.Contains("6 elements", mismatch.Message, StringComparison.Ordinal);
        Assert.Contains("5 were given", mismatch.Message, StringComparison.Ordinal);
        var negative = await Assert.ThrowsAsync<ArgumentException>(() => client.PutTensorAsync<int>(new int[2], [2, -1], cancellationToken: Cancellation));
        Assert.Contains("[2, -1]", negative.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => client.PutTensorAsync<int>(new int[1], [], cancellationToken: Cancellation));
        await Assert.ThrowsAsync<ArgumentException>(() => client.CreateTensorAsync<int>([3, -3], Cancellation));

        var stats = await client.GetStatsAsync(Cancellation);
        Assert.Equal((0, 0, 0), (stats.Objects, stats.Blobs, stats.UnsealedBlobs));
    }

    [Fact]
    public async Task A_tensor_without_elements_round_trips_with_its_shape()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);

        var id = await client.PutTensorAsync<float>(ReadOnlyMemory<float>.Empty, [0, 3], cancellationToken: Cancellation);
        using var tensor = await client.GetTensorAsync<float>(id, cancellationToken: Cancellation);

        Assert.Equal([0L, 3], tensor.Shape);
        Assert.Equal([12L, 4], tensor.Layout.Strides);
        Assert.Equal(0, tensor.Span.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => tensor[0, 0]);
    }

    [Fact]
    public async Task Tensors_of_a_custom_struct_keep_every_field_and_record_the_struct_type_and_size()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        Pixel[] pixels = [new(1, 2, 3, 0.5f), new(255, 0, 128, -1), new(9, 9, 9, float.MaxValue), new(0, 0, 0, 0)];

        var id = await client.PutTensorAsync<Pixel>(pixels, [2, 2], cancellationToken: Cancellation);
        using (var tensor = await client.GetTensorAsync<Pixel>(id, cancellationToken: Cancellation))
        {
            Assert.Equal($"struct:{typeof(Pixel).FullName}:8", tensor.Layout.ElementType);
            Assert.Equal([16L, 8], tensor.Layout.Strides);
            Assert.Equal(pixels, tensor.Span.ToArray());
            Assert.Equal(new Pixel(9, 9, 9, float.MaxValue), tensor[1, 0]);
        }

        using (var writer = await client.CreateTensorAsync<Pixel>([3], Cancellation))
        {
            writer.Span.Fill(new Pixel(7, 8, 9, 1.25f));
            id = await writer.SealAsync(cancellationToken: Cancellation);
        }

        using (var filled = await client.GetTensorAsync<Pixel>(id, cancellationToken: Cancellation))
        {
            Assert.All(filled.Span.ToArray(), pixel => Assert.Equal(new Pixel(7, 8, 9, 1.25f), pixel));
        }

        var asLongs = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetTensorAsync<long>(id, cancellationToken: Cancellation));
        Assert.Contains(nameof(Pixel), asLongs.Message, StringComparison.Ordinal);
        Assert.Contains("int64", asLongs.Message, StringComparison.Ordinal);
        var noBuilder = await Assert.ThrowsAsync<InvalidOperationException>(() => client.PutValueAsync(pixels, cancellationToken: Cancellation));
        Assert.Contains("RegisterBuilder", noBuilder.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Arrays_are_put_as_tensors_and_got_as_typed_handles_through_the_registry()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);

        float[] floatValues = [1, 2, 3, 4];
        long[] longValues = [10, 20];
        Half[] halfValues = [(Half)1, (Half)2];
        bool[] boolValues = [true, false];
        var id = await client.PutValueAsync(floatValues, new PutOptions { Name = "weights" }, Cancellation);
        var longs = await client.PutValueAsync(longValues, cancellationToken: Cancellation);
        var halves = await client.PutValueAsync(halfValues, cancellationToken: Cancellation);
        var flags = await client.PutValueAsync(boolValues, cancellationToken: Cancellation);

        using (var weights = await client.GetAsync<TensorHandle<float>>("weights", cancellationToken: Cancellation))
        {
            Assert.Equal(id, weights.Id);
            Assert.Equal(TensorLayout.TypeName, weights.Handle.TypeName);
            Assert.Equal([4L], weights.Shape);
            Assert.Equal([1f, 2, 3, 4], weights.Span.ToArray());
        }

        using (var tensor = await client.GetAsync<TensorHandle<long>>(longs, cancellationToken: Cancellation))
        {
            Assert.Equal([10L, 20], tensor.Span.ToArray());
        }

        using (var tensor = await client.GetAsync<TensorHandle<Half>>(halves, cancellationToken: Cancellation))
        {
            Assert.Equal([(Half)1, (Half)2], tensor.Span.ToArray());
        }

        using (var tensor = await client.GetAsync<TensorHandle<bool>>(flags, cancellationToken: Cancellation))
        {
            Assert.Equal([true, false], tensor.Span.ToArray());
        }

        using (var raw = await client.GetAsync(id, cancellationToken: Cancellation))
        {
            Assert.Equal([1f, 2, 3, 4], raw.Member("buffer").AsSpan<float>().ToArray());
        }

        var notABatch = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetAsync<RecordBatchHandle>("weights", cancellationToken: Cancellation));
        Assert.Contains("no resolver", notABatch.Message, StringComparison.Ordinal);
        Assert.Contains("TensorHandle", notABatch.Message, StringComparison.Ordinal);
    }

    private static async Task RoundTripAsync<T>(ObjectStoreClient client, string dtype, T[] values, long[] shape)
        where T : unmanaged
    {
        var id = await client.PutTensorAsync<T>(values, shape, cancellationToken: Cancellation);
        using var tensor = await client.GetTensorAsync<T>(id, cancellationToken: Cancellation);

        Assert.Equal(dtype, TensorElement.NameOf<T>());
        Assert.Equal(dtype, tensor.Layout.ElementType);
        Assert.Equal(dtype, tensor.Handle.Meta.Fields["dtype"]);
        Assert.Equal(shape, tensor.Shape);
        Assert.Equal(values, tensor.Span.ToArray());
        Assert.Equal(values[^1], tensor[[.. shape.Select(d => d - 1)]]);
        Assert.True(ArrowSamples.LiesInABlob(tensor.Handle, MemoryMarshal.AsBytes(tensor.Span)));
    }

    /// <summary>A custom element type: three bytes, one of padding, and a float; 8 bytes in all.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal readonly record struct Pixel(byte R, byte G, byte B, float Depth);
}
