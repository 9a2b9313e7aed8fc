using Apache.Arrow;
using Apache.Arrow.Ipc;
using Fluid.Aspire.ObjectStore.Client.Arrow;

namespace Fluid.Aspire.Benchmarks.ObjectStore;

/// <summary>
/// An Arrow record batch of 10M rows × 10 float64 columns: put into and got from the store, against writing and
/// reading an Arrow IPC file on local disk and on /dev/shm. Reading also sums every column, so that a get (which
/// maps) and a file read (which copies) are compared on a consumer that touches every value.
/// </summary>
internal static class ArrowExchange
{
    private const int Rows = 10_000_000;
    private const int Columns = 10;

    public static async Task RunAsync(BenchDaemon daemon, string diskDirectory, Report report, CancellationToken cancellationToken)
    {
        var batch = Build();
        var expected = Sum(batch);
        await using var client = await daemon.ConnectAsync(cancellationToken);

        // The first put also pays this process's first touch of the arena's pages; the second reuses them, as a
        // pipeline that exchanges data again and again does.
        var put = await Measure.SecondsAsync(() => client.PutRecordBatchAsync(batch, new() { Name = "arrow-bench" }, cancellationToken));
        await client.DeleteAsync("arrow-bench", cancellationToken);
        var warmPut = await Measure.SecondsAsync(() => client.PutRecordBatchAsync(batch, new() { Name = "arrow-bench" }, cancellationToken));
        RecordBatchHandle? handle = null;
        var get = await Measure.SecondsAsync(async () => handle = await client.GetRecordBatchAsync("arrow-bench", new() { Prefault = true }, cancellationToken));
        var getAndScan = get + Measure.Seconds(() => Check(Sum(handle!.Batch), expected));
        handle!.Dispose();
        await client.DeleteAsync("arrow-bench", cancellationToken);

        var disk = await FileRoundTripAsync(Path.Combine(diskDirectory, "arrow-bench.arrow"), batch, expected, cancellationToken);
        var shm = await FileRoundTripAsync($"/dev/shm/fluid-bench-{Environment.ProcessId}.arrow", batch, expected, cancellationToken);
        var (diskWrite, diskRead, shmWrite, shmRead) = (disk.Write, disk.ColdRead, shm.Write, shm.WarmRead);

        report.Field("arrow_put_s", put);
        report.Field("arrow_put_warm_s", warmPut);
        report.Field("arrow_get_s", get);
        report.Field("arrow_get_scan_s", getAndScan);
        report.Field("arrow_ipc_disk_write_s", diskWrite);
        report.Field("arrow_ipc_disk_read_s", diskRead);
        report.Field("arrow_ipc_disk_read_page_cache_s", disk.WarmRead);
        report.Field("arrow_ipc_shm_write_s", shmWrite);
        report.Field("arrow_ipc_shm_read_s", shmRead);
        report.Compare("Arrow 10M×10 float64: first put", put, "s", "write Arrow IPC file, local disk", diskWrite, put / diskWrite, "reported", true);
        report.Compare("Arrow 10M×10 float64: first put", put, "s", "write Arrow IPC file, /dev/shm", shmWrite, put / shmWrite, "reported", true);
        report.Compare("Arrow 10M×10 float64: put into memory this process wrote before", warmPut, "s", "write Arrow IPC file, /dev/shm", shmWrite,
            warmPut / shmWrite, "reported", true);
        report.Compare("Arrow 10M×10 float64: get and sum every column", getAndScan, "s", "read Arrow IPC file and sum, local disk", diskRead,
            getAndScan / diskRead, "faster", getAndScan < diskRead);
        report.Compare("Arrow 10M×10 float64: get and sum every column", getAndScan, "s", "read Arrow IPC file and sum, local disk's page cache",
            disk.WarmRead, getAndScan / disk.WarmRead, "faster", getAndScan < disk.WarmRead);
        report.Compare("Arrow 10M×10 float64: get and sum every column", getAndScan, "s", "read Arrow IPC file and sum, /dev/shm", shmRead,
            getAndScan / shmRead, "faster", getAndScan < shmRead);
        Measure.Progress($"arrow put {put:0.###} s (warm {warmPut:0.###} s), get {get * 1000:0.###} ms (+sum {getAndScan:0.###} s); disk write {diskWrite:0.###} read {diskRead:0.###} (page cache {disk.WarmRead:0.###}); shm write {shmWrite:0.###} read {shmRead:0.###}");
    }

    /// <summary>
    /// Writes the batch as an Arrow IPC file, durably (fsync, as a step's output must survive the step), then reads it
    /// back twice: first with the file dropped from the page cache (the bytes come from the device, as for a consumer
    /// on another node or after memory pressure), then again from the page cache. On tmpfs both reads are from memory.
    /// </summary>
    private static async Task<FileTimes> FileRoundTripAsync(string path, RecordBatch batch, double expected, CancellationToken cancellationToken)
    {
        try
        {
            var write = await Measure.SecondsAsync(async () =>
            {
                await using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                using (var writer = new ArrowFileWriter(stream, batch.Schema, leaveOpen: true))
                {
                    await writer.WriteRecordBatchAsync(batch, cancellationToken);
                    await writer.WriteEndAsync(cancellationToken);
                }

                stream.Flush(flushToDisk: true);
            });
            PageCache.Drop(path);
            var cold = await ReadAsync(path, expected, cancellationToken);
            var warm = await ReadAsync(path, expected, cancellationToken);
            return new FileTimes(write, cold, warm);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Task<double> ReadAsync(string path, double expected, CancellationToken cancellationToken) =>
        Measure.SecondsAsync(async () =>
        {
            using var reader = ArrowFileReader.FromFile(path);
            using var back = await reader.ReadRecordBatchAsync(0, cancellationToken);
            Check(Sum(back), expected);
        });

    private static RecordBatch Build()
    {
        var builder = new RecordBatch.Builder();
        for (var c = 0; c < Columns; c++)
        {
            var values = new double[Rows];
            for (var r = 0; r < Rows; r++)
            {
                values[r] = (r % 1000) * 0.5 + c;
            }

            builder.Append($"x{c}", nullable: false, column => column.Double(array => array.AppendRange(values)));
        }

        return builder.Build();
    }

    private static double Sum(RecordBatch batch)
    {
        double total = 0;
        foreach (DoubleArray column in batch.Arrays.Cast<DoubleArray>())
        {
            foreach (var value in column.Values)
            {
                total += value;
            }
        }

        return total;
    }

    private static void Check(double actual, double expected)
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"The data read back sums to {actual}, not {expected}.");
        }
    }

    private readonly record struct FileTimes(double Write, double ColdRead, double WarmRead);
}
