using System.Diagnostics;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;

namespace Fluid.Aspire.Benchmarks.Controller;

/// <summary>
/// Reconcile throughput: 5,000 datasets, each with an object store runtime, created against the real controller on
/// a real etcd, timed from the first create until every dataset is Bound. Anchor: Fluid handles 500 dataset
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
                    Metadata = new ObjectMeta { Name = name },
                    Spec = new DatasetSpec { Mounts = [new Mount { MountPoint = $"objectstore://{name}", Name = name }] },
                });
                await store.CreateAsync(new ObjectStoreRuntime
                {
                    Metadata = new ObjectMeta { Name = name, OwnerReferences = [OwnerReference.ControlledBy(dataset)] },
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

        var bound = 0;
        while (bound < Datasets)
        {
            await Task.Delay(500);
            bound = (await store.ListAsync<Dataset>()).Items.Count(d => d.Status.Phase == DatasetPhase.Bound);
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromMinutes(10))
            {
                throw new TimeoutException($"Only {bound} of {Datasets} datasets were Bound after 10 minutes.");
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var perMinute = Datasets / elapsed.TotalMinutes;
        report.Field("datasets", Datasets);
        report.Field("datasets_bound_s", elapsed.TotalSeconds);
        report.Field("datasets_per_minute", perMinute);
        report.Target("datasets_per_minute", $"{perMinute:0} datasets per minute (anchor: Fluid 500; target >= 10,000)", perMinute >= 10_000);
        ControllerReport.Progress($"{Datasets} datasets Bound in {elapsed.TotalSeconds:0.0} s: {perMinute:0} per minute");
    }
}
