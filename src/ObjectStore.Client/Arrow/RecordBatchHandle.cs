using Apache.Arrow;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client.Arrow;

/// <summary>
/// A stored record batch whose column buffers are the shared memory itself: reading a column copies nothing.
/// The arrays are valid until this handle is disposed.
/// </summary>
public sealed class RecordBatchHandle : IDisposable
{
    internal RecordBatchHandle(ObjectHandle handle)
    {
        Handle = handle;
        if (handle.TypeName != ArrowLayout.RecordBatchTypeName)
        {
            throw new InvalidOperationException($"{handle.Meta} is not an Arrow record batch ({ArrowLayout.RecordBatchTypeName}).");
        }

        Batch = ArrowLayout.Rebuild(handle, handle.Meta, ArrowLayout.DecodeSchema(handle.Meta));
    }

    public ObjectId Id => Handle.Id;

    public ObjectHandle Handle { get; }

    public RecordBatch Batch { get; }

    public Schema Schema => Batch.Schema;

    public int Length => Batch.Length;

    /// <summary>The batch as an ML.NET data view, read from shared memory in place.</summary>
    public ML.RecordBatchDataView AsDataView() => new(Batch);

    public void Dispose() => Handle.Dispose();
}

/// <summary>A stored table: record batches of one schema, each read in place.</summary>
public sealed class TableHandle : IDisposable
{
    internal TableHandle(ObjectHandle handle)
    {
        Handle = handle;
        if (handle.TypeName != ArrowLayout.TableTypeName)
        {
            throw new InvalidOperationException($"{handle.Meta} is not an Arrow table ({ArrowLayout.TableTypeName}).");
        }

        Schema = ArrowLayout.DecodeSchema(handle.Meta);
        Batches = handle.Meta.Members.Values.Select(batch => ArrowLayout.Rebuild(handle, batch, Schema)).ToArray();
    }

    public ObjectId Id => Handle.Id;

    public ObjectHandle Handle { get; }

    public Schema Schema { get; }

    public IReadOnlyList<RecordBatch> Batches { get; }

    public long RowCount => Batches.Sum(b => (long)b.Length);

    /// <summary>The batches as an Arrow <see cref="Table"/> of chunked columns, still over the shared memory.</summary>
    public Table ToTable() => Table.TableFromRecordBatches(Schema, [.. Batches]);

    /// <summary>The table as an ML.NET data view, read from shared memory in place.</summary>
    public ML.RecordBatchDataView AsDataView() => new(Batches);

    public void Dispose() => Handle.Dispose();
}
