using Fluid.Aspire.Benchmarks.ObjectStore;
using Fluid.Aspire.TestSupport;

// The object store benchmarks: every measure against a baseline taken in the same run, since these machines are
// noisy. `dotnet run -c Release --project benchmarks/ObjectStore` from the repository root; results go to
// artifacts/bench/objectstore.json (and .md).
if (args is ["child", "get-latency", var socket, var name, var file])
{
    return await GetLatency.ChildAsync(socket, name, file);
}

if (args is ["child", "echo-server", var path])
{
    return SmallPairs.EchoServer(path);
}

string[] all = ["put", "get", "pairs", "arrow", "fetch", "clients"];
var only = args is ["--only", .. var names] ? names : all;
if ((args.Length > 0 && args[0] != "--only") || only.Length == 0 || only.Except(all).Any())
{
    Console.Error.WriteLine($"usage: dotnet run -c Release --project benchmarks/ObjectStore [-- --only {string.Join('|', all)} ...]   (default: all)");
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
var token = cancellation.Token;
var report = new Report();
var artifacts = Path.Combine(RepositoryPaths.Root, "artifacts", "bench");
Directory.CreateDirectory(artifacts);

Measure.Progress("Starting a daemon with 6 GiB of reserved shared memory (about 1.6 s per GiB to fault in)...");
await using (var daemon = await BenchDaemon.StartAsync("6Gi", ["--reserve-memory"], token))
{
    if (only.Contains("put"))
    {
        Measure.Progress("put of 1 GiB against memcpy");
        await Bandwidth.RunAsync(daemon, report, token);
    }

    if (only.Contains("get"))
    {
        Measure.Progress("get latency from a second process against /dev/shm reads");
        await GetLatency.RunAsync(daemon, report, token);
    }

    if (only.Contains("pairs"))
    {
        Measure.Progress("small put+get pairs against echo round trips; allocator latency");
        await SmallPairs.RunAsync(daemon, report, token);
    }

    if (only.Contains("arrow"))
    {
        Measure.Progress("Arrow record batch against Arrow IPC files");
        await ArrowExchange.RunAsync(daemon, artifacts, report, token);
    }
}

if (only.Contains("fetch"))
{
    Measure.Progress("fetch between instances against a loopback TCP copy");
    await Fetch.RunAsync(report, token);
}

if (only.Contains("clients"))
{
    Measure.Progress("1,024 connections, 16 of them busy, against the 16 alone");
    await ManyClients.RunAsync(report, token);
}

var suffix = only.Length == all.Length ? "" : $"-{string.Join('-', only)}";
await report.WriteAsync(Path.Combine(artifacts, $"objectstore{suffix}.json"), Path.Combine(artifacts, $"objectstore{suffix}.md"),
    "dotnet run -c Release --project benchmarks/ObjectStore" + (suffix.Length == 0 ? "" : $" -- --only {string.Join(' ', only)}"));
return 0;
