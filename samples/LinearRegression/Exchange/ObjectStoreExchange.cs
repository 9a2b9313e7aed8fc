using Apache.Arrow;
using Apache.Arrow.Types;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Client.Arrow;
using Fluid.Sdk;

namespace Fluid.Aspire.Samples.LinearRegression.Exchange;

/// <summary>
/// Columns as an Arrow record batch in the object store: written once, straight into shared memory; read in place,
/// from the node's store, fetched there first if it was put on another node. Bytes (a model) as a blob.
/// </summary>
public sealed class ObjectStoreExchange(StepContext context, ObjectStoreClient store) : IDataExchange
{
    public ExchangeMode Mode => ExchangeMode.ObjectStore;

    public async Task PutAsync(string name, IReadOnlyList<string> columns, IReadOnlyList<double[]> values, CancellationToken cancellationToken)
    {
        var schema = new Schema.Builder();
        foreach (var column in columns)
        {
            schema.Field(f => f.Name(column).DataType(DoubleType.Default).Nullable(false));
        }

        using var batch = await store.CreateRecordBatchAsync(schema.Build(), values.Count == 0 ? 0 : values[0].Length, cancellationToken);
        for (var c = 0; c < values.Count; c++)
        {
            values[c].CopyTo(batch.Column<double>(c));
        }

        await batch.SealAsync(context.Named(name), cancellationToken);
    }

    public async Task<ColumnsView> GetAsync(string name, CancellationToken cancellationToken)
    {
        // Prefault: every value will be read, so the page tables are filled in one call per column.
        var handle = await store.GetRecordBatchAsync(name, new GetOptions { Fetch = true, Prefault = true }, cancellationToken);
        return new ColumnsView(handle.Batch, handle);
    }

    public async Task PutBytesAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        await store.PutAsync(bytes, context.Named(name), cancellationToken);

    public async Task<byte[]> GetBytesAsync(string name, CancellationToken cancellationToken)
    {
        using var handle = await store.GetAsync(name, new GetOptions { Fetch = true }, cancellationToken);
        return handle.Blobs[0].Span.ToArray();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
