using k8s.Models;
using System.Diagnostics;
using System.Globalization;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;

namespace Fluid.Aspire.Benchmarks.Controller;

/// <summary>
/// Reconcile throughput: 5,000 datasets, each with an object store runtime, created through the local Kubernetes API
/// (fluid-apiserver on a real etcd) and reconciled by the real controller through it, timed from the first create
/// until every dataset is Bound. Anchor: Fluid handles 500 dataset
/// resources per minute; target 10,000 on 2 cores.
/// </summary>
internal static class ReconcileBenchmark
{
    private const int Datasets = 5_000;
    private const int InFlight = 64;

    public static async Task RunAsync(ControllerReport report)
    {
        await using var cluster = await LocalCluster.StartAsync(2, CancellationToken.None);
        await using var client = new FluidClient(new ClientConfig { ConnectionString = cluster.ConnectionString });
        var store = client.Store;
        // A watch, not a polling list: listing 5,000 datasets twice a second would load etcd and the controller's
        // two cores with work that is the benchmark's, not the controller's.
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var before = (await store.ListAsync<Dataset>()).ResourceVersion;
        var allBound = WaitUntilBoundAsync(store, before, stop.Token);
        var started = Stopwatch.GetTimestamp();
        using var gate = new SemaphoreSlim(InFlight);
        var creates = Enumerable.Range(0, Datasets).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var name = $"bench-{i:D5}";
                var dataset = await store.CreateAsync(new Dataset
                {
                    Metadata = new V1ObjectMeta { Name = name },
                    Spec = new DatasetSpec { Mounts = [new Mount { MountPoint = $"objectstore://{name}", Name = name }] },
                });
                await store.CreateAsync(new ObjectStoreRuntime
                {
                    Metadata = new V1ObjectMeta { Name = name, OwnerReferences = [dataset.ControllerReference()] },
                    Spec = new ObjectStoreRuntimeSpec
                    {
                        Replicas = 1,
                        TieredStore = new TieredStore { Levels = [new TieredStoreLevel { MediumType = MediumType.Memory, Quota = "16Mi" }] },
                    },
                });
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        await Task.WhenAll(creates);
        var created = Stopwatch.GetElapsedTime(started);
        ControllerReport.Progress($"created {Datasets} datasets and runtimes in {created.TotalSeconds:0.0} s; waiting until all are Bound");

        await allBound;
        var elapsed = Stopwatch.GetElapsedTime(started);
        var perMinute = Datasets / elapsed.TotalMinutes;
        // Every write is an etcd revision: what one dataset costs the store, the benchmark's two creates included.
        var writes = long.Parse((await store.ListAsync<Dataset>()).ResourceVersion, CultureInfo.InvariantCulture) - long.Parse(before, CultureInfo.InvariantCulture);
        report.Field("etcd_writes_per_dataset", (double)writes / Datasets);
        report.Field("datasets", Datasets);
        report.Field("datasets_bound_s", elapsed.TotalSeconds);
        report.Field("datasets_per_minute", perMinute);
        report.Target("datasets_per_minute", $"{perMinute:0} datasets per minute (anchor: Fluid 500; target >= 10,000)", perMinute >= 10_000);
        ControllerReport.Progress($"{Datasets} datasets Bound in {elapsed.TotalSeconds:0.0} s: {perMinute:0} per minute");
    }

    private static async Task WaitUntilBoundAsync(IResourceStore store, string resourceVersion, CancellationToken cancellationToken)
    {
        var bound = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var change in store.WatchAsync<Dataset>(resourceVersion: resourceVersion, cancellationToken: cancellationToken))
            {
                if (change.Resource.Status.Phase == DatasetPhase.Bound && bound.Add(change.Resource.Metadata.Name) && bound.Count == Datasets)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Only {bound.Count} of {Datasets} datasets were Bound after 10 minutes.");
        }
    }
}
