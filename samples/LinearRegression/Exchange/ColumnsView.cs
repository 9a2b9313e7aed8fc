using System.Buffers;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Fluid.Aspire.Samples.LinearRegression.Exchange;

/// <summary>
/// Named columns of doubles as a step reads them: an Arrow record batch over the memory they are in (the store's shared
/// memory, or arrays read from a file), valid until disposed.
/// </summary>
public sealed class ColumnsView(RecordBatch batch, IDisposable? owner = null) : IDisposable
{
    public RecordBatch Batch { get; } = batch;

    public IReadOnlyList<string> Names { get; } = [.. batch.Schema.FieldsList.Select(f => f.Name)];

    public int Rows => Batch.Length;

    /// <summary>Columns in arrays of this process, as Arrow arrays over the arrays themselves (no copy).</summary>
    public static ColumnsView Of(IReadOnlyList<string> names, IReadOnlyList<double[]> columns)
    {
        var rows = columns.Count == 0 ? 0 : columns[0].Length;
        var schema = new Schema(names.Select(n => new Field(n, DoubleType.Default, nullable: false)), metadata: null);
        return new ColumnsView(new RecordBatch(schema, columns.Select(c => (IArrowArray)Wrap(c)), rows));
    }

    /// <summary>The values of a column, where they are.</summary>
    public ReadOnlySpan<double> Values(int column) => ((DoubleArray)Batch.Column(column)).Values;

    public void Dispose() => owner?.Dispose();

    private static DoubleArray Wrap(double[] values) =>
        new(new ArrowBuffer(new ArrayBytes(values).Memory), ArrowBuffer.Empty, values.Length, nullCount: 0, offset: 0);

    /// <summary>The bytes of an array of doubles, which an Arrow buffer takes as its memory.</summary>
    private sealed class ArrayBytes(double[] values) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(values.AsSpan());

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            var handle = GCHandle.Alloc(values, GCHandleType.Pinned);
            return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle, this);
        }

        // The pin is the handle's: disposing the MemoryHandle frees it.
        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
