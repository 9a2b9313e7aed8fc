using System.Collections.Immutable;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Hosting.Dashboard;

/// <summary>How the dashboard shows each kind: its phase as the state, and what <c>kubectl get -o wide</c> would show as properties.</summary>
internal static class StackObjectSnapshots
{
    public static CustomResourceSnapshot Of(Contracts.Resource resource, string stack, CustomResourceSnapshot previous) => resource switch
    {
        Dataset dataset => With(previous, dataset, Dataset(dataset), stack,
            ("Ufs total size", dataset.Status?.UfsTotal),
            ("Files", dataset.Status?.FileNum?.ToString(CultureInfo.InvariantCulture)),
            ("Cached", dataset.Status?.CacheStates?.Cached),
            ("Cache capacity", dataset.Status?.CacheStates?.CacheCapacity),
            ("Cached percentage", dataset.Status?.CacheStates?.CachedPercentage)),
        ObjectStoreRuntime runtime => With(previous, runtime, Runtime(runtime.Status), DatasetOf(runtime.Metadata.NamespaceProperty, runtime.Metadata.Name),
            ("Workers ready", runtime.Status is { } s ? $"{s.ReadyWorkers}/{s.DesiredWorkers}" : null),
            ("Memory used", runtime.Status is { MemoryCapacity: > 0 } m ? $"{m.MemoryUsed:N0} of {m.MemoryCapacity:N0} bytes" : null)),
        CacheRuntime runtime => With(previous, runtime, Runtime(runtime.Status), DatasetOf(runtime.Metadata.NamespaceProperty, runtime.Metadata.Name),
            ("Workers ready", runtime.Status is { } s ? $"{s.ReadyWorkers}/{s.DesiredWorkers}" : null),
            ("Cached", runtime.Status is { CacheCapacity: > 0 } c ? $"{c.Cached:N0} of {c.CacheCapacity:N0} bytes" : null),
            ("Read", runtime.Status is { BytesRead: > 0 } r ? $"{r.BytesRead:N0} bytes, {r.BytesFetched:N0} fetched" : null)),
        DataProcess step => With(previous, step, Step(step), step.Spec.Dataset is { } d ? DatasetOf(step.Metadata.NamespaceProperty, d.Name) : stack,
            ("Node", step.Status?.NodeName ?? ""),
            ("Run", step.Metadata.Labels.TryGetValue(Contracts.FlowLabels.Run, out var run) ? run : null),
            ("Processor", step.Metadata.Annotations.TryGetValue(Contracts.FlowLabels.ProcessorAnnotation, out var processor) ? processor : null),
            ("Exit code", step.Status?.ExitCode?.ToString(CultureInfo.InvariantCulture)),
            ("Duration", step.Status?.Duration is { } duration ? $"{duration.TotalSeconds:0.0} s" : null),
            ("Reason", (step.Status?.Conditions.Find(OperationConditions.Complete) ?? step.Status?.Conditions.Find(OperationConditions.Waiting))?.Message)),
        _ => previous,
    };

    /// <summary>What the dashboard shows once the object is gone: nothing, unless asked for hidden resources.</summary>
    public static CustomResourceSnapshot Deleted(CustomResourceSnapshot previous) => previous with
    {
        State = new ResourceStateSnapshot("Deleted", KnownResourceStateStyles.Info),
        StopTimeStamp = DateTime.UtcNow,
        IsHidden = true,
    };

    private static string DatasetOf(string namespaceName, string name) => StackObject.NameOf(nameof(Contracts.Datasets.Dataset), namespaceName, name);

    private static ResourceStateSnapshot Dataset(Dataset dataset) => dataset.Status?.Phase switch
    {
        DatasetPhase.Bound => new("Bound", KnownResourceStateStyles.Success),
        DatasetPhase.Failed => new("Failed", KnownResourceStateStyles.Error),
        { } phase => new(phase.ToString(), KnownResourceStateStyles.Info),
        null => new("Pending", KnownResourceStateStyles.Info),
    };

    private static ResourceStateSnapshot Runtime(RuntimeStatus? status) => status?.Phase switch
    {
        RuntimePhase.Ready => new("Ready", KnownResourceStateStyles.Success),
        RuntimePhase.NotReady => new("NotReady", KnownResourceStateStyles.Warn),
        { } phase => new(phase.ToString(), KnownResourceStateStyles.Info),
        null => new("Pending", KnownResourceStateStyles.Info),
    };

    private static ResourceStateSnapshot Step(DataProcess step) => step.Status?.Phase switch
    {
        OperationPhase.Complete => new("Complete", KnownResourceStateStyles.Success),
        OperationPhase.Failed => new("Failed", KnownResourceStateStyles.Error),
        { } phase => new(phase.ToString(), KnownResourceStateStyles.Info),
        null => new("Pending", KnownResourceStateStyles.Info),
    };

    private static DateTime? Started(Contracts.Resource resource) =>
        (resource as DataProcess)?.Status?.LastScheduleTime?.UtcDateTime ?? Utc(resource.Metadata.CreationTimestamp);

    /// <summary>The API's times are UTC; the dashboard refuses a time of another kind (KubernetesClient reads them without one).</summary>
    private static DateTime? Utc(DateTime? time) => time is { } t ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : null;

    private static CustomResourceSnapshot With(CustomResourceSnapshot previous, Contracts.Resource resource, ResourceStateSnapshot state, string parent,
        params (string Name, string? Value)[] properties)
    {
        var shown = properties.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => new ResourcePropertySnapshot(p.Name, p.Value))
            .Prepend(new ResourcePropertySnapshot("Namespace", resource.Metadata.NamespaceProperty))
            // What the dashboard nests entries by.
            .Append(new ResourcePropertySnapshot("resource.parentName", parent));
        return previous with
        {
            ResourceType = resource.Kind,
            State = state,
            CreationTimeStamp = Utc(resource.Metadata.CreationTimestamp),
            StartTimeStamp = Started(resource),
            StopTimeStamp = resource is DataProcess { Status: { Phase: OperationPhase.Complete or OperationPhase.Failed, Duration: { } duration } }
                ? Started(resource) + duration
                : null,
            Properties = [.. shown],
            Relationships = [new RelationshipSnapshot(parent, "Parent")],
            IsHidden = false,
        };
    }
}
