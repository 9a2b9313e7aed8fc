using k8s.Models;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Aspire.ApiServer;
using Fluid.Aspire.ApiServer.Kinds;
using Fluid.Aspire.ApiServer.Storage;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Benchmarks.Controller;

/// <summary>
/// What the HTTP hop of the Kubernetes API costs: creates per second and watch latency (from a create until each of
/// three watchers, as many as the controller's informers, has it; p50 and p99) through fluid-apiserver with
/// KubernetesClient, beside the same figures for the API server's storage layer (<see cref="ObjectRegistry"/>) driven in
/// this process, on the same etcd, in alternating rounds.
/// </summary>
internal static class ApiBenchmark
{
    private const int Rounds = 3;
    private const int ThroughputWrites = 1_000;
    private const int InFlight = 16;
    private const int LatencyWrites = 200;
    private const int Watchers = 3;

    public static async Task RunAsync(ControllerReport report)
    {
        var cancellationToken = CancellationToken.None;
        await using var etcd = await EtcdServer.StartAsync(cancellationToken);
        await using var api = await ApiServerProcess.StartAsync(etcd, cancellationToken);
        // The storage layer under another key prefix of the same etcd, so that the two never see each other's writes.
        using var connection = new EtcdConnection(etcd.ConnectionString("/direct"));
        var registry = new ObjectRegistry(new ObjectStorage(connection, Microsoft.Extensions.Options.Options.Create(new ApiServerOptions()), TimeProvider.System), TimeProvider.System);
        await registry.CreateAsync(ServedKinds.Namespace, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "default" } },
            FieldValidation.Strict, dryRun: false, cancellationToken);
        var http = new Side("api", api.CreateStore());
        var direct = new Side("storage", registry);

        for (var round = 0; round < Rounds; round++)
        {
            foreach (var side in round % 2 == 0 ? new[] { http, direct } : [direct, http])
            {
                side.WritesPerSecond.Add(await side.ThroughputAsync($"r{round}", cancellationToken));
                side.Latencies.AddRange(await side.WatchLatencyAsync($"l{round}", cancellationToken));
            }
        }

        foreach (var side in new[] { http, direct })
        {
            var latencies = side.Latencies.ToArray();
            report.Field($"{side.Name}_creates_per_s", Median(side.WritesPerSecond));
            report.Field($"{side.Name}_watch_latency_p50_ms", ControllerReport.Percentile(latencies, 0.5));
            report.Field($"{side.Name}_watch_latency_p99_ms", ControllerReport.Percentile(latencies, 0.99));
            ControllerReport.Progress($"{side.Name}: {Median(side.WritesPerSecond):0} creates/s; watch latency p50 " +
                $"{ControllerReport.Percentile(latencies, 0.5):0.00} ms, p99 {ControllerReport.Percentile(latencies, 0.99):0.00} ms (to all {Watchers} watchers)");
        }

        report.Field("api_creates_ratio_to_storage", Median(http.WritesPerSecond) / Median(direct.WritesPerSecond));
    }

    private static double Median(List<double> values) => ControllerReport.Percentile([.. values], 0.5);

    private static Dataset NewDataset(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new DatasetSpec { Mounts = [new Mount { MountPoint = $"objectstore://{name}", Name = name }] },
    };

    /// <summary>One way to write and watch datasets: through the API with KubernetesClient, or the storage layer in-process.</summary>
    private sealed class Side
    {
        private readonly IResourceStore? _store;
        private readonly ObjectRegistry? _registry;
        private readonly ServedKind _kind = ServedKinds.For(ResourceKinds.Dataset);

        public Side(string name, IResourceStore store)
        {
            Name = name;
            _store = store;
        }

        public Side(string name, ObjectRegistry registry)
        {
            Name = name;
            _registry = registry;
        }

        public string Name { get; }

        public List<double> WritesPerSecond { get; } = [];

        public List<double> Latencies { get; } = [];

        public async Task<double> ThroughputAsync(string prefix, CancellationToken cancellationToken)
        {
            using var gate = new SemaphoreSlim(InFlight);
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, ThroughputWrites).Select(async i =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    await CreateAsync($"{prefix}-{i:D5}", cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }));
            return ThroughputWrites / Stopwatch.GetElapsedTime(started).TotalSeconds;
        }

        /// <summary>Creates one dataset at a time and times it until every watcher has decoded it.</summary>
        public async Task<List<double>> WatchLatencyAsync(string prefix, CancellationToken cancellationToken)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var seen = new ConcurrentDictionary<string, (int Count, long Last)>(StringComparer.Ordinal);
            var arrived = new SemaphoreSlim(0);
            var from = await RevisionAsync(cancellationToken);
            var watchers = Enumerable.Range(0, Watchers).Select(_ => Task.Run(() => WatchAsync(from, name =>
            {
                var now = Stopwatch.GetTimestamp();
                if (seen.AddOrUpdate(name, (1, now), (_, s) => (s.Count + 1, now)).Count == Watchers)
                {
                    arrived.Release();
                }
            }, stop.Token), stop.Token)).ToArray();
            var latencies = new List<double>(LatencyWrites);
            for (var i = 0; i < LatencyWrites; i++)
            {
                var name = $"{prefix}-{i:D5}";
                var started = Stopwatch.GetTimestamp();
                await CreateAsync(name, cancellationToken);
                await arrived.WaitAsync(cancellationToken);
                latencies.Add(ControllerReport.Milliseconds(started, seen[name].Last));
            }

            await stop.CancelAsync();
            await Task.WhenAll(watchers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
            return latencies;
        }

        private async Task CreateAsync(string name, CancellationToken cancellationToken)
        {
            var dataset = NewDataset(name);
            if (_store is not null)
            {
                await _store.CreateAsync(dataset, cancellationToken);
            }
            else
            {
                await _registry!.CreateAsync(_kind, "default", JsonSerializer.SerializeToNode(dataset, ResourceJson.Options)!.AsObject(),
                    FieldValidation.Strict, dryRun: false, cancellationToken);
            }
        }

        private async Task<long> RevisionAsync(CancellationToken cancellationToken) =>
            _store is not null
                ? long.Parse((await _store.ListAsync<Dataset>(cancellationToken: cancellationToken)).ResourceVersion, System.Globalization.CultureInfo.InvariantCulture)
                : await _registry!.Storage.RevisionAsync(cancellationToken);

        private async Task WatchAsync(long from, Action<string> seen, CancellationToken cancellationToken)
        {
            if (_store is not null)
            {
                await foreach (var change in _store.WatchAsync<Dataset>(resourceVersion: from.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken: cancellationToken))
                {
                    seen(change.Resource.Metadata.Name);
                }
            }
            else
            {
                await foreach (var change in _registry!.WatchAsync(_kind, null, _ => true, from, false, null, cancellationToken))
                {
                    // Decoded into the model, as a client of the API decodes what it gets.
                    seen(change.Value.Deserialize<Dataset>(ResourceJson.Options)!.Metadata.Name);
                }
            }
        }
    }
}
