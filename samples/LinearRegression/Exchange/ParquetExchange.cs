using Parquet;
using Parquet.Schema;

namespace Fluid.Aspire.Samples.LinearRegression.Exchange;

/// <summary>Columns as a Parquet file on local disk, one per name: what a pipeline exchanges without the store.</summary>
public sealed class ParquetExchange(string directory) : FileExchange(directory, ".parquet")
{
    public override ExchangeMode Mode => ExchangeMode.Files;

    public override async Task PutAsync(string name, IReadOnlyList<string> columns, IReadOnlyList<double[]> values, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        var fields = columns.Select(c => new DataField<double>(c)).ToArray();
        await using var file = File.Create(TablePath(name));
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), file, cancellationToken: cancellationToken);
        using var group = writer.CreateRowGroup();
        for (var c = 0; c < fields.Length; c++)
        {
            await group.WriteAsync<double>(fields[c], values[c], null, null, cancellationToken);
        }
    }

    public override async Task<ColumnsView> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(TablePath(name));
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

        return ColumnsView.Of([.. fields.Select(f => f.Name)], columns);
    }
}
