using Fluid.Aspire.ControlPlane.FlowProgram;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.ObjectStore.Client.Tensors;
using Fluid.Sdk;

// A pipeline written with the SDK the way a user writes one: three steps, each a static method of this program,
// handing a tensor to the next through the object store. Run against a stack (ConnectionStrings__fluid); prints
// RESULT and exits 0 when the data came through and the clean-up left nothing behind.
FluidSteps.RunIfRequested(args);

var runId = args.Length > 0 ? args[0] : "e2e";
await using var client = new FluidClient();
var dataset = await client.CreateDatasetAsync($"{runId}-data");
await dataset.BindRuntimeAsync(RuntimeKind.ObjectStore, replicas: 2, cacheCapacityGiB: 0.03125, timeout: TimeSpan.FromMinutes(2));
var run = await dataset
    .Process(Processor.FromMethod(Steps.ProduceAsync))
    .Process(Processor.FromMethod(Steps.DoubleAsync), inputs: ["numbers"])
    .Process(Processor.FromMethod(Steps.CheckAsync), inputs: ["doubled"])
    .RunAsync(runId);
var reports = await run.WaitAsync(TimeSpan.FromMinutes(2));
foreach (var report in reports)
{
    Console.WriteLine($"{report.Name}: {report.Phase} on {report.Node} in {report.Duration?.TotalSeconds:0.00} s");
}

await dataset.CleanUpAsync(wait: true, TimeSpan.FromMinutes(1));
var left = (await client.Store.ListAsync<DataProcess>()).Items.Count;
Console.WriteLine(left == 0 && reports.All(r => r.Phase == OperationPhase.Complete)
    ? $"RESULT ok steps={reports.Count} nodes={string.Join(',', reports.Select(r => r.Node).Distinct())}"
    : $"RESULT failed: {left} step(s) left after the clean-up");
return left == 0 ? 0 : 1;

namespace Fluid.Aspire.ControlPlane.FlowProgram
{
    /// <summary>The steps: each runs in a process of its own, on the node the controller chose.</summary>
    internal static class Steps
    {
        public const int Count = 100_000;

        public static async Task ProduceAsync(StepContext context)
        {
            var store = await context.ObjectStoreAsync();
            using var numbers = await store.CreateTensorAsync<double>([Count], context.CancellationToken);
            for (var i = 0; i < Count; i++)
            {
                numbers.Span[i] = i;
            }

            await numbers.SealAsync(context.Named("numbers"), context.CancellationToken);
        }

        public static async Task DoubleAsync(StepContext context)
        {
            var store = await context.ObjectStoreAsync();
            using var numbers = await store.GetTensorAsync<double>("numbers", context.Fetched, context.CancellationToken);
            using var doubled = await store.CreateTensorAsync<double>(numbers.Shape, context.CancellationToken);
            for (var i = 0; i < numbers.Span.Length; i++)
            {
                doubled.Span[i] = numbers.Span[i] * 2;
            }

            await doubled.SealAsync(context.Named("doubled"), context.CancellationToken);
        }

        public static async Task CheckAsync(StepContext context)
        {
            var store = await context.ObjectStoreAsync();
            using var doubled = await store.GetTensorAsync<double>("doubled", context.Fetched, context.CancellationToken);
            double sum = 0;
            foreach (var value in doubled.Span)
            {
                sum += value;
            }

            var expected = (double)Count * (Count - 1);
            if (sum != expected)
            {
                throw new InvalidOperationException($"The doubled numbers sum to {sum}, not {expected}.");
            }

            Console.WriteLine($"checked: {Count} numbers came through doubled, sum {sum}");
        }
    }
}
