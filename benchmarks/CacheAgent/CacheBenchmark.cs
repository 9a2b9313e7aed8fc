using System.Globalization;
using Fluid.Aspire.TestSupport.StorageServers;

namespace Fluid.Aspire.Benchmarks.CacheAgent;

/// <summary>
/// Issue 17's first two cache figures, over one file of random bytes served by a real nginx: a cold read through a
/// fresh <see cref="Cache.Reading.CachedDataset"/> against a direct HttpClient read, and a warm one against a local
/// file in the page cache. Each pair alternates which goes first, 3 rounds; a figure is the median of the rounds' ratios.
/// </summary>
internal sealed class CacheBenchmark(NginxServer nginx, long fileBytes, CacheReport report, CancellationToken cancellationToken)
{
    private const int Rounds = 3;
    private const string FileName = "file.bin";

    private readonly Reads _reads = new(fileBytes);

    private string LocalPath => Path.Combine(nginx.DataDirectory, FileName);

    private Uri DataUrl => new(nginx.BaseUrl, "data/");

    private Uri FileUrl => new(DataUrl, FileName);

    // Twice the file, so that no block is evicted whatever the watermarks.
    private long Quota => Math.Max(2 * fileBytes, 64L << 20);

    /// <summary>Writes the file into nginx's root and reads it once, so that it is in the page cache.</summary>
    public async Task WriteFileAsync()
    {
        var chunk = new byte[Reads.BufferSize];
        var random = new Random(17);
        await using (var file = new FileStream(LocalPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, Reads.BufferSize))
        {
            for (long written = 0; written < fileBytes; written += chunk.Length)
            {
                random.NextBytes(chunk);
                await file.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, fileBytes - written)), cancellationToken);
            }
        }

        await _reads.LocalAsync(LocalPath, cancellationToken);
    }

    /// <summary>cold_vs_direct; returns the last round's cache, every block cached, for the warm reads.</summary>
    public async Task<FreshCache> ColdVersusDirectAsync(HttpClient client)
    {
        var cold = new double[Rounds];
        var direct = new double[Rounds];
        FreshCache? last = null;
        for (var round = 0; round < Rounds; round++)
        {
            if (last is not null)
            {
                await last.DisposeAsync();
            }

            last = await FreshCache.OpenAsync(DataUrl, Quota, cancellationToken);
            if (round % 2 == 0)
            {
                direct[round] = await _reads.HttpAsync(client, FileUrl, cancellationToken);
                cold[round] = await _reads.CachedAsync(last, "/" + FileName, cancellationToken);
            }
            else
            {
                cold[round] = await _reads.CachedAsync(last, "/" + FileName, cancellationToken);
                direct[round] = await _reads.HttpAsync(client, FileUrl, cancellationToken);
            }

            Progress($"  round {round + 1}: cold {cold[round]:0.###} s, direct {direct[round]:0.###} s");
        }

        var ratio = Median(cold.Zip(direct, (c, d) => c / d));
        report.Field("cold_seconds", cold);
        report.Field("direct_seconds", direct);
        report.Figure("cold_vs_direct", ratio, Seconds(Median(cold)) + " cold through the cache", Seconds(Median(direct)) + " HttpClient from nginx",
            "≤ 1.10", 1.10, ratio <= 1.10);
        return last!;
    }

    /// <summary>warm_vs_local_file, through a cache that holds every block of the file.</summary>
    public async Task WarmVersusLocalFileAsync(FreshCache cache)
    {
        var before = cache.Dataset.Stats();
        report.Field("warm_cached_bytes_before", before.CachedBytes);
        var warm = new double[Rounds];
        var local = new double[Rounds];
        for (var round = 0; round < Rounds; round++)
        {
            if (round % 2 == 0)
            {
                local[round] = await _reads.LocalAsync(LocalPath, cancellationToken);
                warm[round] = await _reads.CachedAsync(cache, "/" + FileName, cancellationToken);
            }
            else
            {
                warm[round] = await _reads.CachedAsync(cache, "/" + FileName, cancellationToken);
                local[round] = await _reads.LocalAsync(LocalPath, cancellationToken);
            }

            Progress($"  round {round + 1}: warm {warm[round]:0.###} s, local file {local[round]:0.###} s");
        }

        // 0 when every warm byte came from the cache, none from nginx.
        report.Field("warm_bytes_fetched", cache.Dataset.Stats().BytesFetched - before.BytesFetched);

        // Throughputs over the same bytes: the ratio of throughputs is local time ÷ warm time.
        var ratio = Median(local.Zip(warm, (l, w) => l / w));
        report.Field("warm_seconds", warm);
        report.Field("local_file_seconds", local);
        report.Field("warm_gb_per_s", fileBytes / Median(warm) / 1e9);
        report.Field("local_file_gb_per_s", fileBytes / Median(local) / 1e9);
        report.Figure("warm_vs_local_file", ratio, GigabytesPerSecond(Median(warm)) + " warm through the cache",
            GigabytesPerSecond(Median(local)) + " FileStream from the page cache", "≥ 0.9", 0.9, ratio >= 0.9);
    }

    /// <summary>A cache that holds every block of the file, when the cold reads did not run to fill one.</summary>
    public async Task<FreshCache> FilledCacheAsync()
    {
        var cache = await FreshCache.OpenAsync(DataUrl, Quota, cancellationToken);
        await _reads.CachedAsync(cache, "/" + FileName, cancellationToken);
        return cache;
    }

    public static void Progress(string line) => Console.Error.WriteLine(line);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Seconds(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.###} s");

    private string GigabytesPerSecond(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{fileBytes / seconds / 1e9:0.##} GB/s");
}
