using Parquet;
using Parquet.Schema;

namespace Fluid.Aspire.Samples.LinearRegression.Exchange;

/// <summary>Columns as a Parquet file on local disk, one per name: what a pipeline exchanges without the store.</summary>
public sealed class ParquetExchange(string directory) : IDataExchange
{
    public ExchangeMode Mode => ExchangeMode.Files;

    public async Task PutAsync(string name, IReadOnlyList<string> columns, IReadOnlyList<double[]> values, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var fields = columns.Select(c => new DataField<double>(c)).ToArray();
        await using var file = File.Create(PathOf(name));
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), file, cancellationToken: cancellationToken);
        using var group = writer.CreateRowGroup();
        for (var c = 0; c < fields.Length; c++)
        {
            await group.WriteAsync<double>(fields[c], values[c], null, null, cancellationToken);
        }
    }

    public async Task<ColumnsView> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(PathOf(name));
        await using var reader = await ParquetReader.CreateAsync(file, cancellationToken: cancellationToken);
        var fields = reader.Schema.GetDataFields();
        var rows = reader.RowGroups.Sum(g => g.RowCount);
        var columns = fields.Select(_ => GC.AllocateUninitializedArray<double>((int)rows)).ToArray();
        long start = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            for (var c = 0; c < fields.Length; c++)
            {
                await group.ReadAsync<double>(fields[c], columns[c].AsMemory((int)start, (int)group.RowCount), null, cancellationToken);
            }

            start += group.RowCount;
        }

        return new ColumnsView(fields.Select(f => f.Name).ToArray(), columns.Select(c => (ReadOnlyMemory<double>)c).ToArray());
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string PathOf(string name) => Path.Combine(directory, $"{name.Replace('/', '.')}.parquet");
}
