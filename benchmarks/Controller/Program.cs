using Fluid.Aspire.Benchmarks.Controller;
using Fluid.Aspire.TestSupport;

// The controller benchmarks. `dotnet run -c Release --project benchmarks/Controller [-- --only NAME ...]` from the
// repository root; each benchmark adds its fields to artifacts/bench/controller.json, keeping the fields of the
// benchmarks that did not run. A new benchmark is one more entry here and a method that fills the report.
(string Name, string What, Func<ControllerReport, Task> Run)[] benchmarks =
[
    ("schedule", "schedule one step over 1,000 simulated nodes with locality terms", report =>
    {
        ScheduleBenchmark.Run(report);
        return Task.CompletedTask;
    }),
    ("reconcile", "reconcile 5,000 datasets with runtimes through the local Kubernetes API and a real controller", ReconcileBenchmark.RunAsync),
    ("api", "creates and watch latency through the Kubernetes API beside its storage layer in-process", ApiBenchmark.RunAsync),
    ("flow", "the orchestration overhead of a 3-step flow of processes that do nothing", FlowOverheadBenchmark.RunAsync),
];

var all = benchmarks.Select(b => b.Name).ToArray();
var only = args is ["--only", .. var names] ? names : all;
if ((args.Length > 0 && args[0] != "--only") || only.Length == 0 || only.Except(all).Any())
{
    Console.Error.WriteLine($"usage: dotnet run -c Release --project benchmarks/Controller [-- --only {string.Join('|', all)} ...]   (default: all)");
    return 2;
}

var path = Path.Combine(RepositoryPaths.Root, "artifacts", "bench", "controller.json");
var report = ControllerReport.Load(path);
foreach (var benchmark in benchmarks.Where(b => only.Contains(b.Name)))
{
    ControllerReport.Progress(benchmark.What);
    await benchmark.Run(report);
}

report.Save(path);
Console.WriteLine(report);
return report.TargetsMet ? 0 : 1;
