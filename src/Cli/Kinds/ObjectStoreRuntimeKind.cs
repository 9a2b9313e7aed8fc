using System.Globalization;
using Fluid.Aspire.Cli.Output;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Cli.Kinds;

/// <summary>Object-store runtimes: workers desired, placed and ready (declared on <see cref="ResourceKinds.ObjectStoreRuntime"/>), and their memory in their description.</summary>
internal sealed class ObjectStoreRuntimeKind : CustomKind<ObjectStoreRuntime>
{
    /// <summary>Also answers to the shorter names fluid has always accepted.</summary>
    public ObjectStoreRuntimeKind()
        : base("runtime", "runtimes")
    {
    }

    protected override void Describe(Description description, ObjectStoreRuntime runtime, DateTimeOffset now)
    {
        description.Section(0, "Spec")
            .Field(1, "Replicas", Number(runtime.Spec.Replicas));
        Describing.TieredStore(description, runtime.Spec.TieredStore);
        description.Map(1, "Node Selector", runtime.Spec.Worker?.NodeSelector ?? [])
            .Map(1, "Options", runtime.Spec.Worker?.Options ?? []);

        var status = runtime.Status;
        description.Section(0, "Status")
            .State(1, "Phase", status.Phase?.ToString())
            .Field(1, "Workers", $"{status.ReadyWorkers} ready, {status.CurrentWorkers} placed, {status.DesiredWorkers} desired")
            .State(1, "Worker Phase", status.WorkerPhase?.ToString())
            .Field(1, "Memory", $"{Quantity.FormatBytes(status.MemoryUsed)} used of {Quantity.FormatBytes(status.MemoryCapacity)}");
        description.Table(0, "Workers", ["Node", "Instance", "Memory Used", "Memory Capacity"],
        [
            .. status.Workers.Select(w => new Cell[]
            {
                w.Node,
                w.Instance?.ToString(CultureInfo.InvariantCulture),
                Quantity.FormatBytes(w.MemoryUsed),
                Quantity.FormatBytes(w.MemoryCapacity),
            }),
        ]);
        Describing.Conditions(description, status.Conditions, now);
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
