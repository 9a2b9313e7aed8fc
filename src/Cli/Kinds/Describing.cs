using System.Globalization;
using Fluid.Aspire.Cli.Output;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Runtimes;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Cli.Kinds;

/// <summary>The sections every resource's description shares: metadata, conditions and events.</summary>
internal static class Describing
{
    public static void Metadata(Description description, IKubernetesObject<V1ObjectMeta> resource, DateTimeOffset now)
    {
        var meta = resource.Metadata;
        description.Field(0, "Name", meta.Name)
            .Field(0, "Namespace", meta.NamespaceProperty)
            .Map(0, "Labels", ReadOnly(meta.Labels))
            .Map(0, "Annotations", ReadOnly(meta.Annotations))
            .Field(0, "API Version", resource.ApiVersion)
            .Field(0, "Kind", resource.Kind)
            .Field(0, "Created", Humanize.Timestamp(meta.CreationTimestamp, now));
        if (meta.OwnerReferences?.FirstOrDefault(o => o.Controller == true) is { } owner)
        {
            description.Field(0, "Controlled By", $"{owner.Kind}/{owner.Name}");
        }

        if (meta.DeletionTimestamp is not null)
        {
            // A deleted object that lingers waits for its finalizers: say which, since that is what it waits for.
            description.Field(0, "Deleting", $"since {Humanize.Timestamp(meta.DeletionTimestamp, now)}", Tone.Busy)
                .Field(0, "Finalizers", string.Join(", ", meta.Finalizers ?? []));
        }
    }

    /// <summary>A runtime's tiers, as its manifest writes them (MEM, SSD, HDD).</summary>
    public static void TieredStore(Description description, TieredStore? tieredStore) =>
        description.Table(1, "Tiered Store", ["Medium", "Quota", "Path", "High", "Low"],
        [
            .. (tieredStore?.Levels ?? []).Select(l => new Cell[] { Medium(l.MediumType), l.Quota?.ToString(), l.Path, l.High, l.Low }),
        ]);

    private static string? Medium(MediumType? medium) => medium switch
    {
        MediumType.Memory => "MEM",
        MediumType.Ssd => "SSD",
        MediumType.Hdd => "HDD",
        _ => null,
    };

    public static void Conditions(Description description, IReadOnlyList<Condition> conditions, DateTimeOffset now) =>
        description.Table(0, "Conditions", ["Type", "Status", "Reason", "Age", "Message"],
        [
            .. conditions.Select(c => new Cell[]
            {
                c.Type,
                Cell.State(c.Status.ToString()),
                c.Reason,
                Humanize.Age(c.LastTransitionTime, now),
                OneLine(c.Message),
            }),
        ]);

    /// <summary>kubectl describe's Events: oldest first, a repeated event once with <c>(x3 over 2m)</c>.</summary>
    public static void Events(Description description, IReadOnlyList<Corev1Event> events, DateTimeOffset now) =>
        description.Table(0, "Events", ["Type", "Reason", "Age", "From", "Message"],
        [
            .. events.OrderBy(e => LastSeen(e)).Select(e => new Cell[]
            {
                Cell.State(Type(e)),
                e.Reason,
                e.Count > 1
                    ? string.Create(CultureInfo.InvariantCulture, $"{Humanize.Age(LastSeen(e), now)} (x{e.Count} over {Humanize.Age(e.FirstTimestamp ?? LastSeen(e), now)})")
                    : Humanize.Age(LastSeen(e), now),
                Source(e),
                OneLine(e.Message),
            }),
        ]);

    /// <summary>When an event last happened, falling back to when it was recorded.</summary>
    public static DateTimeOffset? LastSeen(Corev1Event e) => e.LastTimestamp ?? e.FirstTimestamp ?? e.Metadata.CreationTimestamp;

    /// <summary>Normal or Warning; Kubernetes takes an event without a type for Normal.</summary>
    public static string Type(Corev1Event e) => string.IsNullOrEmpty(e.Type) ? "Normal" : e.Type;

    /// <summary>Who reported an event, kubectl's <c>From</c>: the component, and the host when known.</summary>
    public static string? Source(Corev1Event e) =>
        e.Source is null ? null : string.Join(", ", new[] { e.Source.Component, e.Source.Host }.Where(s => !string.IsNullOrEmpty(s)));

    /// <summary>A message as one table cell: a multi-line message would break the columns.</summary>
    public static string? OneLine(string? text) =>
        text?.ReplaceLineEndings(" ").Trim();

    private static Dictionary<string, string> ReadOnly(IDictionary<string, string>? map) =>
        map is null ? [] : new Dictionary<string, string>(map, StringComparer.Ordinal);
}
