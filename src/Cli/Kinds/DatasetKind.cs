using Fluid.Aspire.Cli.Output;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;

namespace Fluid.Aspire.Cli.Kinds;

/// <summary>Datasets: Fluid's columns (declared on <see cref="ResourceKinds.Dataset"/>), and their mounts, cache and holders in their description.</summary>
internal sealed class DatasetKind : CustomKind<Dataset>
{
    protected override void Describe(Description description, Dataset dataset, DateTimeOffset now)
    {
        description.Section(0, "Spec");
        description.Table(1, "Mounts", ["Mount Point", "Name", "Path", "Read Only", "Options"],
        [
            .. dataset.Spec.Mounts.Select(m => new Cell[]
            {
                m.MountPoint,
                m.Name,
                m.Path,
                m.ReadOnly ? "true" : "false",
                string.Join(",", m.Options.Select(o => $"{o.Key}={o.Value}").Concat(m.EncryptOptions.Select(o => $"{o.Name}=<secret {o.ValueFrom.SecretKeyRef.Name}>"))),
            }),
        ]);
        description.Field(1, "Node Affinity", Describe(dataset.Spec.NodeAffinity))
            .Field(1, "Placement", (dataset.Spec.Placement ?? Placement.Exclusive).ToString())
            .Field(1, "Access Modes", dataset.Spec.AccessModes.Count == 0 ? AccessMode.ReadOnlyMany.ToString() : string.Join(", ", dataset.Spec.AccessModes));

        var status = dataset.Status;
        var cache = status.CacheStates;
        description.Section(0, "Status")
            .State(1, "Phase", status.Phase?.ToString())
            .Field(1, "UFS Total", status.UfsTotal)
            .Field(1, "Total Files", Humanize.OrNone(status.FileNum))
            .Field(1, "Cached", cache?.Cached)
            .Field(1, "Cache Capacity", cache?.CacheCapacity)
            .Field(1, "Cached Percentage", cache?.CachedPercentage)
            .Field(1, "Cache Hit Ratio", cache?.CacheHitRatio)
            .Field(1, "Local Hit Ratio", cache?.LocalHitRatio)
            .Field(1, "Remote Hit Ratio", cache?.RemoteHitRatio)
            .Field(1, "Runtimes", string.Join(", ", status.Runtimes.Select(r => $"{r.Name} ({r.Type ?? r.Category})")))
            .Field(1, "Held By", string.Join(", ", status.OperationRef.Select(o => $"{o.Key}/{o.Value}")));
        Describing.Conditions(description, status.Conditions, now);
    }

    /// <summary>A node affinity in one line: terms ORed, expressions ANDed, as the scheduler reads them.</summary>
    private static string? Describe(NodeAffinity? affinity) =>
        affinity?.Required is { NodeSelectorTerms.Count: > 0 } required
            ? string.Join(" or ", required.NodeSelectorTerms.Select(t => t.Describe()))
            : "any node";
}
