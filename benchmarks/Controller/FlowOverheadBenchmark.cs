using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;

namespace Fluid.Aspire.Benchmarks.Controller;

/// <summary>
/// What orchestration adds to a flow: a 3-step flow of processes that do nothing (<c>true</c>), from the moment
/// the run is created until its last step is recorded complete, minus the steps' own run time. Median of 5 runs.
/// </summary>
internal static class FlowOverheadBenchmark
{
    private const int Runs = 5;

    public static async Task RunAsync(ControllerReport report)
    {
        await using var cluster = await LocalCluster.StartAsync(1, CancellationToken.None);
        await using var client = new FluidClient(new ClientConfig { ConnectionString = cluster.ConnectionString });
        var dataset = await client.CreateDatasetAsync("overhead");
        var flow = dataset.Process(Processor.FromCommand("true")).Process(Processor.FromCommand("true")).Process(Processor.FromCommand("true"));
        var overheads = new double[Runs];
        var totals = new double[Runs];
        for (var i = 0; i < Runs; i++)
        {
            var start = DateTimeOffset.UtcNow;
            var run = await flow.RunAsync($"run{i}");
            await run.WaitAsync(TimeSpan.FromMinutes(1));
            var steps = new List<DataProcess>();
            foreach (var name in run.StepNames)
            {
                steps.Add((await client.Store.GetAsync<DataProcess>(name))!);
            }

            var end = steps.Max(s => s.Status.Conditions.Find("Complete")!.LastTransitionTime!.Value);
            var own = steps.Sum(s => s.Status.Duration!.Value.TotalSeconds);
            totals[i] = (end - start).TotalSeconds;
            overheads[i] = totals[i] - own;
        }

        var overhead = ControllerReport.Percentile(overheads, 0.5);
        report.Field("flow_total_s", ControllerReport.Percentile(totals, 0.5));
        report.Field("flow_overhead_s", overhead);
        ControllerReport.Progress($"3-step flow of no-op processes: {ControllerReport.Percentile(totals, 0.5):0.000} s in all, {overhead:0.000} s of it orchestration (median of {Runs})");
    }
}
