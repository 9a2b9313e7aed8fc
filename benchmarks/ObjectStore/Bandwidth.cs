using Fluid.Aspire.ObjectStore.Client;

namespace Fluid.Aspire.Benchmarks.ObjectStore;

/// <summary>Put of a 1 GiB managed array into a pre-faulted arena, against memcpy between warm managed buffers.</summary>
internal static class Bandwidth
{
    private const int Size = 1 << 30;
    private const int Repetitions = 5;

    public static async Task RunAsync(BenchDaemon daemon, Report report, CancellationToken cancellationToken)
    {
        var source = new byte[Size];
        new Random(1).NextBytes(source.AsSpan(0, 1 << 20));
        for (var offset = 1 << 20; offset < Size; offset += 1 << 20)
        {
            source.AsSpan(0, 1 << 20).CopyTo(source.AsSpan(offset));
        }

        var destination = new byte[Size];
        destination.AsSpan().Fill(1);
        var memcpy = Enumerable.Range(0, Repetitions).Select(_ => Measure.Seconds(() => source.AsSpan().CopyTo(destination))).ToArray();
        var memcpyGbps = Size / Measure.Median(memcpy) / Measure.GB;
        destination = null;
        GC.Collect();

        await using var client = await daemon.ConnectAsync(cancellationToken);
        var puts = new List<double>();
        var inPlace = new List<double>();
        for (var i = 0; i < Repetitions; i++)
        {
            var id = default(Fluid.Aspire.ObjectStore.Objects.ObjectId);
            puts.Add(await Measure.SecondsAsync(async () => id = await client.PutAsync(source, cancellationToken: cancellationToken)));
            await client.DeleteAsync(id, cancellationToken);

            // Create-in-place: the producer writes its result straight into the blob; the put itself copies nothing.
            inPlace.Add(await Measure.SecondsAsync(async () =>
            {
                using var writer = await client.CreateBlobAsync(Size, cancellationToken);
                id = await writer.SealAsync(cancellationToken: cancellationToken);
            }));
            await client.DeleteAsync(id, cancellationToken);
        }

        // The first put also faults this client's page tables for the range; later puts reuse the same block.
        var steady = puts.Skip(1).ToArray();
        var putGbps = Size / Measure.Median(steady) / Measure.GB;
        report.Field("memcpy_gbps", memcpyGbps);
        report.Field("put_gbps_1GiB", putGbps);
        report.Field("put_first_gbps_1GiB", Size / puts[0] / Measure.GB);
        report.Field("create_in_place_ms_1GiB", Measure.Median(inPlace) * 1000);
        report.Compare("put of a 1 GiB managed array (median of 4 after the first)", putGbps, "GB/s", "memcpy of 1 GiB, warm", memcpyGbps,
            putGbps / memcpyGbps, ">= 0.75", putGbps / memcpyGbps >= 0.75);
        Measure.Progress($"put {putGbps:0.00} GB/s (first {Size / puts[0] / Measure.GB:0.00}), memcpy {memcpyGbps:0.00} GB/s, create in place {Measure.Median(inPlace) * 1000:0.0} ms");
    }
}
