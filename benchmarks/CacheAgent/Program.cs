using System.Globalization;
using Fluid.Aspire.Benchmarks.CacheAgent;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.TestSupport;
using Fluid.Aspire.TestSupport.StorageServers;

// The cache benchmarks of issue 17 against a real nginx on 127.0.0.1 started here. `dotnet run -c Release --project
// benchmarks/CacheAgent [-- --size 256Mi] [--only NAME ...]` from the repository root; results go to
// artifacts/bench/cache.json (cache-NAME.json for a subset).
string[] all = ["cold_vs_direct", "warm_vs_local_file"];
const string Usage = "usage: dotnet run -c Release --project benchmarks/CacheAgent [-- [--size 1Gi] [--only cold_vs_direct|warm_vs_local_file ...]]   (default: 1Gi, all)";
var size = "1Gi";
var only = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--size" && i + 1 < args.Length)
    {
        size = args[++i];
    }
    else if (args[i] == "--only")
    {
        while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            only.Add(args[++i]);
        }
    }
    else
    {
        Console.Error.WriteLine($"'{args[i]}' is not an option. {Usage}");
        return 2;
    }
}

if (only.Except(all).FirstOrDefault() is { } unknown)
{
    Console.Error.WriteLine($"'{unknown}' is not a benchmark. {Usage}");
    return 2;
}

if (only.Count == 0)
{
    only.AddRange(all);
}

long fileBytes;
try
{
    fileBytes = Quantity.ParseBytes(size);
}
catch (FormatException e)
{
    Console.Error.WriteLine($"--size: {e.Message} {Usage}");
    return 2;
}

if (fileBytes <= 0)
{
    Console.Error.WriteLine($"--size: {size} is empty; give a size above 0, e.g. 256Mi. {Usage}");
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
var token = cancellation.Token;
var report = new CacheReport();
report.Field("load_average_at_start", File.ReadAllText("/proc/loadavg").Trim());
report.Field("file_bytes", fileBytes);
report.Field("buffer_bytes", Reads.BufferSize);
report.Field("block_bytes", Fluid.Aspire.Cache.Blocks.TieredBlockStoreOptions.DefaultBlockSize);
report.Field("rounds", 3);

await using (var nginx = await NginxServer.StartAsync(token))
{
    var benchmark = new CacheBenchmark(nginx, fileBytes, report, token);
    CacheBenchmark.Progress($"Writing {Quantity.FormatBytes(fileBytes)} of random bytes into nginx's root at {new Uri(nginx.BaseUrl, "data/")}");
    await benchmark.WriteFileAsync();
    FreshCache? filled = null;
    try
    {
        if (only.Contains("cold_vs_direct"))
        {
            CacheBenchmark.Progress("cold_vs_direct: a fresh cache's first read against a direct HttpClient read");
            using var client = new HttpClient();
            filled = await benchmark.ColdVersusDirectAsync(client);
        }

        if (only.Contains("warm_vs_local_file"))
        {
            CacheBenchmark.Progress("warm_vs_local_file: a cached read against a FileStream read from the page cache");
            filled ??= await benchmark.FilledCacheAsync();
            await benchmark.WarmVersusLocalFileAsync(filled);
        }
    }
    finally
    {
        if (filled is not null)
        {
            await filled.DisposeAsync();
        }
    }
}

var suffix = only.Count == all.Length ? "" : $"-{string.Join('-', only)}";
var command = "dotnet run -c Release --project benchmarks/CacheAgent -- --size " + size + (suffix.Length == 0 ? "" : $" --only {string.Join(' ', only)}");
await report.WriteAsync(Path.Combine(RepositoryPaths.Root, "artifacts", "bench", $"cache{suffix}.json"), command);
Console.WriteLine(report);
return report.TargetsMet ? 0 : 1;
