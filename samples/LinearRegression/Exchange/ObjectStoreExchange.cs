using Apache.Arrow;
using Apache.Arrow.Types;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Client.Arrow;
using Fluid.Sdk;

namespace Fluid.Aspire.Samples.LinearRegression.Exchange;

/// <summary>
/// Columns as an Arrow record batch in the object store: written once, straight into shared memory; read in place,
/// from the node's store, fetched there first if it was put on another node.
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
        var meta = handle.Handle.Meta;
        var columns = Enumerable.Range(0, handle.Batch.ColumnCount)
            .Select(i => meta.Member($"column_{i}").Members.TryGetValue("buffer_1", out var values)
                ? handle.Handle.Blob(values).AsMemory<double>()[..handle.Length]
                : ReadOnlyMemory<double>.Empty)
            .ToArray();
        return new ColumnsView(handle.Schema.FieldsList.Select(f => f.Name).ToArray(), columns, handle);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
