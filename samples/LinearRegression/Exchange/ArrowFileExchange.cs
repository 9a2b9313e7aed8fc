using System.Globalization;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;

namespace Fluid.Aspire.Samples.LinearRegression.Exchange;

/// <summary>
/// Columns as an Arrow IPC file, on /dev/shm by default: no encoding and no disk, the strongest file-based baseline;
/// a reader still copies the file into its own memory.
/// </summary>
public sealed class ArrowFileExchange(string directory) : FileExchange(directory, ".arrow")
{
    /// <summary>
    /// Rows per record batch: an IPC message body must stay under 2 GiB, which one batch of 8M rows × 45 doubles
    /// passes; writers of large tables split them the same way.
    /// </summary>
    private const int BatchRows = 1 << 20;

    /// <summary>The schema's metadata carries the row count, so that a reader sizes its columns once.</summary>
    private const string RowsKey = "fluid.rows";

    public override ExchangeMode Mode => ExchangeMode.ArrowShm;

    public override async Task PutAsync(string name, IReadOnlyList<string> columns, IReadOnlyList<double[]> values, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        var rows = values.Count == 0 ? 0 : values[0].Length;
        var schema = new Schema(
            columns.Select(c => new Field(c, DoubleType.Default, nullable: false)),
            new Dictionary<string, string> { [RowsKey] = rows.ToString(CultureInfo.InvariantCulture) });
        await using var file = File.Create(TablePath(name));
        using var writer = new ArrowFileWriter(file, schema);
        // Written up front, so that a table of no rows is still a file with its schema.
        await writer.WriteStartAsync(cancellationToken);
        for (var offset = 0; offset < rows; offset += BatchRows)
        {
            var count = Math.Min(BatchRows, rows - offset);
            var arrays = values.Select(v => (IArrowArray)Column(v.AsSpan(offset, count))).ToArray();
            using var batch = new RecordBatch(schema, arrays, count);
            await writer.WriteRecordBatchAsync(batch, cancellationToken);
        }

        await writer.WriteEndAsync(cancellationToken);
    }

    public override async Task<ColumnsView> GetAsync(string name, CancellationToken cancellationToken)
    {
        using var reader = ArrowFileReader.FromFile(TablePath(name));
        var schema = reader.Schema;
        var rows = int.Parse(schema.Metadata[RowsKey], CultureInfo.InvariantCulture);
        var columns = schema.FieldsList.Select(_ => GC.AllocateUninitializedArray<double>(rows)).ToArray();
        var at = 0;
        while (await reader.ReadNextRecordBatchAsync(cancellationToken) is { } batch)
        {
            using (batch)
            {
                for (var c = 0; c < columns.Length; c++)
                {
                    ((DoubleArray)batch.Column(c)).Values.CopyTo(columns[c].AsSpan(at));
                }

                at += batch.Length;
            }
        }

        return ColumnsView.Of([.. schema.FieldsList.Select(f => f.Name)], columns);
    }

    /// <summary>One block copy of the values into an Arrow buffer, where a builder would append them one by one.</summary>
    private static DoubleArray Column(ReadOnlySpan<double> values)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(values.Length * sizeof(double));
        MemoryMarshal.AsBytes(values).CopyTo(bytes);
        return new DoubleArray(new ArrowBuffer(bytes), ArrowBuffer.Empty, values.Length, nullCount: 0, offset: 0);
    }
}
