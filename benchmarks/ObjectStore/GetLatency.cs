using System.Diagnostics;
using System.Text.Json;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Aspire.Benchmarks.ObjectStore;

/// <summary>
/// Get (map) latency of sealed objects from a second process, against reading the same bytes from a file on
/// /dev/shm in that process. The get gives the reader the bytes in place, so its cost should not depend on size.
/// </summary>
internal static class GetLatency
{
    private const int Gets = 200;
    private static readonly (string Label, long Bytes)[] Sizes =
        [("1MiB", 1L << 20), ("64MiB", 64L << 20), ("1GiB", 1L << 30), ("4GiB", 4L << 30)];

    public static async Task RunAsync(BenchDaemon daemon, Report report, CancellationToken cancellationToken)
    {
        await using var client = await daemon.ConnectAsync(cancellationToken);
        var latencies = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var baselines = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (label, bytes) in Sizes)
        {
            var name = $"latency-{label}";
            var file = $"/dev/shm/fluid-bench-{Environment.ProcessId}-{label}";
            using (var writer = await client.CreateBlobAsync(bytes, cancellationToken))
            {
                for (long offset = 0; offset < bytes; offset += 1 << 26)
                {
                    writer.Slice(offset, (int)Math.Min(1 << 26, bytes - offset)).Fill((byte)offset);
                }

                await writer.SealAsync(new PutOptions { Name = name }, cancellationToken: cancellationToken);
            }

            await WriteFileAsync(file, bytes);
            try
            {
                await using var reader = ChildProcess.StartDotnet(typeof(GetLatency).Assembly.Location, ["child", "get-latency", daemon.SocketPath, name, file]);
                if (await reader.WaitForExitAsync(TimeSpan.FromMinutes(5), cancellationToken) != 0)
                {
                    throw new InvalidOperationException($"The reading process failed:\n{reader.Output}");
                }

                var result = JsonSerializer.Deserialize<ChildResult>(reader.Output.Split('\n').Last(l => l.StartsWith('{')))!;
                latencies[label] = result.GetMedianMs;
                baselines[label] = result.FileReadMs;
                report.Compare($"get of a {label} object from a second process (median of {Gets}; p99 {result.GetP99Ms:0.###} ms)",
                    result.GetMedianMs, "ms", $"read of {label} from a file on /dev/shm", result.FileReadMs,
                    result.GetMedianMs / result.FileReadMs, "<= 1 ms", result.GetMedianMs <= 1);
                Measure.Progress($"get {label}: {result.GetMedianMs:0.###} ms median, p99 {result.GetP99Ms:0.###}; /dev/shm read {result.FileReadMs:0.###} ms");
            }
            finally
            {
                File.Delete(file);
                await client.DeleteAsync(name, cancellationToken);
            }
        }

        report.Field("get_latency_ms", latencies);
        report.Field("shm_file_read_ms", baselines);
    }

    /// <summary>The second process: gets the object many times (each get held until its handle is disposed), then reads the file.</summary>
    public static async Task<int> ChildAsync(string socket, string name, string file)
    {
        await using var client = await ObjectStoreClient.ConnectAsync(socket);
        var samples = new List<double>(Gets);
        for (var i = 0; i < Gets + 10; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var handle = await client.GetAsync(name);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (i >= 10)
            {
                samples.Add(elapsed);
            }
        }

        var reads = new List<double>();
        var length = new FileInfo(file).Length;
        var buffer = GC.AllocateUninitializedArray<byte>((int)Math.Min(length, 1L << 30));
        buffer.AsSpan().Fill(1);
        for (var i = 0; i < 3; i++)
        {
            reads.Add(Measure.Seconds(() => ReadFile(file, length, buffer)) * 1000);
        }

        Console.WriteLine(JsonSerializer.Serialize(new ChildResult(Measure.Median(samples), Measure.Percentile(samples, 0.99), Measure.Median(reads))));
        return 0;
    }

    /// <summary>Reads the whole file, as a reader without the store must; files over 1 GiB go through the buffer in pieces.</summary>
    private static void ReadFile(string file, long length, byte[] buffer)
    {
        using SafeFileHandle handle = File.OpenHandle(file);
        for (long offset = 0; offset < length;)
        {
            offset += RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - offset)), offset);
        }
    }

    private static async Task WriteFileAsync(string path, long bytes)
    {
        var piece = new byte[1 << 26];
        await using var file = File.Create(path);
        for (long offset = 0; offset < bytes; offset += piece.Length)
        {
            await file.WriteAsync(piece.AsMemory(0, (int)Math.Min(piece.Length, bytes - offset)));
        }
    }

    private sealed record ChildResult(double GetMedianMs, double GetP99Ms, double FileReadMs);


}
