using Apache.Arrow;
using Apache.Arrow.Types;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client.Arrow;

/// <summary>Arrow record batches and tables in the object store: column buffers are blobs, read without copying.</summary>
public static class ArrowObjects
{
    public const string RecordBatchTypeName = ArrowLayout.RecordBatchTypeName;
    public const string TableTypeName = ArrowLayout.TableTypeName;

    /// <summary>Puts a batch: every buffer copied once into shared memory, in two round trips whatever the column count.</summary>
    public static async Task<ObjectId> PutRecordBatchAsync(
        this ObjectStoreClient client, RecordBatch batch, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (meta, writers) = await CopyAsync(client, [batch], cancellationToken);
        using (Disposing(writers))
        {
            return await client.CreateObjectAsync(meta[0], options, cancellationToken);
        }
    }

    /// <summary>Puts record batches of one schema as a table.</summary>
    public static async Task<ObjectId> PutTableAsync(
        this ObjectStoreClient client, IReadOnlyList<RecordBatch> batches, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (batches.Count == 0)
        {
            throw new ArgumentException("A table needs at least one record batch, which carries its schema.", nameof(batches));
        }

        var (metas, writers) = await CopyAsync(client, batches, cancellationToken);
        using (Disposing(writers))
        {
            var table = new ObjectMeta
            {
                TypeName = ArrowLayout.TableTypeName,
                Fields = new Dictionary<string, string>
                {
                    ["schema"] = ArrowLayout.EncodeSchema(batches[0].Schema),
                    ["batches"] = batches.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["rows"] = batches.Sum(b => (long)b.Length).ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
                Members = metas.Select((m, i) => (Name: $"batch_{i}", Meta: m)).ToDictionary(p => p.Name, p => p.Meta),
            };
            return await client.CreateObjectAsync(table, options, cancellationToken);
        }
    }

    /// <summary>Puts an Arrow table, one batch per chunk of its columns.</summary>
    public static Task<ObjectId> PutTableAsync(
        this ObjectStoreClient client, Table table, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        client.PutTableAsync(Batches(table), options, cancellationToken);

    /// <summary>
    /// Allocates a batch of fixed-width, non-null columns to fill in place (<see cref="RecordBatchWriter.Column{T}(int)"/>),
    /// in one round trip.
    /// </summary>
    public static async Task<RecordBatchWriter> CreateRecordBatchAsync(
        this ObjectStoreClient client, Schema schema, int rows, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        var sizes = schema.FieldsList.Select(field => field.DataType is FixedWidthType { BitWidth: >= 8 } width and not DictionaryType
            ? Math.Max(1, (long)rows * (width.BitWidth / 8))
            : throw new ArgumentException(
                $"Column {field.Name} is {field.DataType.Name}; only fixed-width columns of whole bytes (not booleans nor dictionaries) can be written in place.",
                nameof(schema)))
            .ToArray();
        return new RecordBatchWriter(client, schema, rows, await client.CreateBlobsAsync(sizes, cancellationToken));
    }

    public static async Task<RecordBatchHandle> GetRecordBatchAsync(
        this ObjectStoreClient client, string name, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        Open(await client.GetAsync(name, options, cancellationToken), h => new RecordBatchHandle(h));

    public static async Task<RecordBatchHandle> GetRecordBatchAsync(
        this ObjectStoreClient client, ObjectId id, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        Open(await client.GetAsync(id, options, cancellationToken), h => new RecordBatchHandle(h));

    public static async Task<TableHandle> GetTableAsync(
        this ObjectStoreClient client, string name, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        Open(await client.GetAsync(name, options, cancellationToken), h => new TableHandle(h));

    public static async Task<TableHandle> GetTableAsync(
        this ObjectStoreClient client, ObjectId id, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        Open(await client.GetAsync(id, options, cancellationToken), h => new TableHandle(h));

    /// <summary>The record batches of a stored batch or table, for code that takes either.</summary>
    public static IReadOnlyList<RecordBatch> BatchesOf(ObjectHandle handle) => handle.TypeName switch
    {
        ArrowLayout.RecordBatchTypeName => [ArrowLayout.Rebuild(handle, handle.Meta, ArrowLayout.DecodeSchema(handle.Meta))],
        ArrowLayout.TableTypeName => new TableHandle(handle).Batches,
        _ => throw new InvalidOperationException($"{handle.Meta} is not Arrow data."),
    };

    internal static void RegisterAll()
    {
        ObjectTypes.Register(ArrowLayout.RecordBatchTypeName, handle => new RecordBatchHandle(handle));
        ObjectTypes.Register(ArrowLayout.TableTypeName, handle => new TableHandle(handle));
        ObjectTypes.RegisterBuilder<RecordBatch>((client, batch, options, cancellationToken) => client.PutRecordBatchAsync(batch, options, cancellationToken));
        ObjectTypes.RegisterBuilder<Table>((client, table, options, cancellationToken) => client.PutTableAsync(table, options, cancellationToken));
    }

    private static async Task<(ObjectMeta[] Metas, IReadOnlyList<BlobWriter> Writers)> CopyAsync(
        ObjectStoreClient client, IReadOnlyList<RecordBatch> batches, CancellationToken cancellationToken)
    {
        var buffers = batches.Select(ArrowLayout.Buffers).ToArray();
        var writers = await client.CreateBlobsAsync(buffers.SelectMany(b => b).Select(b => (long)b.Length).ToArray(), cancellationToken);
        var next = 0;
        var metas = new ObjectMeta[batches.Count];
        for (var i = 0; i < batches.Count; i++)
        {
            var leaves = new List<ObjectMeta>();
            foreach (var buffer in buffers[i])
            {
                var writer = writers[next++];
                buffer.Span.CopyTo(writer.Span);
                leaves.Add(writer.Leaf(buffer.Length));
            }

            using var leaf = leaves.GetEnumerator();
            metas[i] = ArrowLayout.Describe(batches[i], leaf);
        }

        return (metas, writers);
    }

    /// <summary>
    /// The table as record batches: one per chunk when every column is chunked alike (as a table made from record
    /// batches is), otherwise one per run of rows that no column's chunk boundary crosses, over slices of the chunks.
    /// </summary>
    private static List<RecordBatch> Batches(Table table)
    {
        var columns = Enumerable.Range(0, table.ColumnCount).Select(table.Column).ToArray();
        if (columns.Length == 0)
        {
            return [];
        }

        if (columns.Any(c => c.Length != table.RowCount))
        {
            throw new ArgumentException(
                $"The table's columns differ in length ({string.Join(", ", columns.Select(c => $"{c.Name}: {c.Length}"))}); a table needs one row count.",
                nameof(table));
        }

        if (table.RowCount == 0)
        {
            return columns.All(c => c.Data.ArrayCount > 0)
                ? [new RecordBatch(table.Schema, columns.Select(c => c.Data.ArrowArray(0)), 0)]
                : [];
        }

        // Every row where some column starts a chunk; empty chunks contribute nothing.
        var cuts = new SortedSet<long> { 0, table.RowCount };
        foreach (var column in columns)
        {
            long start = 0;
            for (var chunk = 0; chunk < column.Data.ArrayCount; chunk++)
            {
                start += column.Data.ArrowArray(chunk).Length;
                cuts.Add(start);
            }
        }

        var batches = new List<RecordBatch>();
        var cursors = columns.Select(_ => (Chunk: 0, Start: 0L)).ToArray();
        long? from = null;
        foreach (var to in cuts)
        {
            if (from is { } begin)
            {
                var length = checked((int)(to - begin));
                var arrays = new IArrowArray[columns.Length];
                for (var c = 0; c < columns.Length; c++)
                {
                    // Move to the chunk that holds row `begin`; it holds the whole run, as no boundary lies inside.
                    var (chunk, start) = cursors[c];
                    while (start + columns[c].Data.ArrowArray(chunk).Length <= begin)
                    {
                        start += columns[c].Data.ArrowArray(chunk).Length;
                        chunk++;
                    }

                    cursors[c] = (chunk, start);
                    var array = columns[c].Data.ArrowArray(chunk);
                    arrays[c] = begin == start && length == array.Length
                        ? array
                        : ArrowArrayFactory.Slice(array, checked((int)(begin - start)), length);
                }

                batches.Add(new RecordBatch(table.Schema, arrays, length));
            }

            from = to;
        }

        return batches;
    }

    private static T Open<T>(ObjectHandle handle, Func<ObjectHandle, T> view)
    {
        try
        {
            return view(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static WritersScope Disposing(IReadOnlyList<BlobWriter> writers) => new(writers);

    /// <summary>Drops the blobs of a put that failed before its object was created; sealed ones are left alone.</summary>
    private readonly struct WritersScope(IReadOnlyList<BlobWriter> writers) : IDisposable
    {
        public void Dispose()
        {
            foreach (var writer in writers)
            {
                writer.Dispose();
            }
        }
    }
}
