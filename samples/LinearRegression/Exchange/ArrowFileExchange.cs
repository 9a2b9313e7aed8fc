using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;

namespace Fluid.Aspire.Samples.LinearRegression.Exchange;

/// <summary>
/// Columns as an Arrow IPC file, on /dev/shm by default: no encoding and no disk, the strongest file-based baseline;
/// a reader still copies the file into its own memory.
/// </summary>
public sealed class ArrowFileExchange(string directory) : IDataExchange
{
    public ExchangeMode Mode => ExchangeMode.ArrowShm;

    public async Task PutAsync(string name, IReadOnlyList<string> columns, IReadOnlyList<double[]> values, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var builder = new RecordBatch.Builder();
        for (var c = 0; c < columns.Count; c++)
        {
            var column = values[c];
            builder.Append(columns[c], nullable: false, array => array.Double(b => b.AppendRange(column)));
        }

        using var batch = builder.Build();
        await using var file = File.Create(PathOf(name));
        using var writer = new ArrowFileWriter(file, batch.Schema);
        await writer.WriteRecordBatchAsync(batch, cancellationToken);
        await writer.WriteEndAsync(cancellationToken);
    }

    public async Task<ColumnsView> GetAsync(string name, CancellationToken cancellationToken)
    {
        using var reader = ArrowFileReader.FromFile(PathOf(name));
        var batch = await reader.ReadRecordBatchAsync(0, cancellationToken);
        var columns = batch.Arrays.Select(a => (ReadOnlyMemory<double>)((DoubleArray)a).Values.ToArray()).ToArray();
        var names = batch.Schema.FieldsList.Select(f => f.Name).ToArray();
        batch.Dispose();
        return new ColumnsView(names, columns);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string PathOf(string name) => Path.Combine(directory, $"{name.Replace('/', '.')}.arrow");
}
