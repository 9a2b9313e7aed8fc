using System.Globalization;
using Fluid.Aspire.Cli.Output;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Cli.Kinds;

/// <summary>Cache runtimes: workers desired, placed and ready (declared on <see cref="ResourceKinds.CacheRuntime"/>), and what each worker holds and served in their description.</summary>
internal sealed class CacheRuntimeKind : CustomKind<CacheRuntime>
{
    protected override void Describe(Description description, CacheRuntime runtime, DateTimeOffset now)
    {
        description.Section(0, "Spec")
            .Field(1, "Replicas", runtime.Spec.Replicas.ToString(CultureInfo.InvariantCulture));
        Describing.TieredStore(description, runtime.Spec.TieredStore);
        description.Map(1, "Node Selector", runtime.Spec.Worker?.NodeSelector ?? []);

        var status = runtime.Status;
        description.Section(0, "Status")
            .State(1, "Phase", status.Phase?.ToString())
            .Field(1, "Workers", $"{status.ReadyWorkers} ready, {status.CurrentWorkers} placed, {status.DesiredWorkers} desired")
            .Field(1, "Cached", $"{Quantity.FormatBytes(status.Cached)} of {Quantity.FormatBytes(status.CacheCapacity)}")
            .Field(1, "UFS Total", status.UfsTotal is { } total ? $"{Quantity.FormatBytes(total)} in {status.FileNum} file(s), listed {Humanize.Age(status.ListedAt, now)} ago" : null)
            .Field(1, "Read", $"{Quantity.FormatBytes(status.BytesRead)}, {Quantity.FormatBytes(status.BytesFetched)} of it fetched from the mounts")
            .Field(1, "Observed", Humanize.Timestamp(status.ObservedAt, now));
        description.Table(0, "Workers", ["Node", "Ready", "Cached", "Capacity", "Read", "Fetched", "Preloaded", "Message"],
        [
            .. status.Workers.Select(w => new Cell[]
            {
                w.Node,
                Cell.State(w.Ready ? "True" : "False"),
                Quantity.FormatBytes(w.Cached),
                Quantity.FormatBytes(w.CacheCapacity),
                Quantity.FormatBytes(w.BytesRead),
                Quantity.FormatBytes(w.BytesFetched),
                Quantity.FormatBytes(w.BytesPreloaded),
                w.Message,
            }),
        ]);
        Describing.Conditions(description, status.Conditions, now);
    }
}
