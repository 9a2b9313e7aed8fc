using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Fluid.Aspire.Cli.Output;
using Fluid.Aspire.Contracts;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Fluid.Aspire.Cli.Kinds;

/// <summary>Kubernetes' Events, read with KubernetesClient as kubectl reads them: newest last, with kubectl's columns.</summary>
internal sealed class EventKind : Kind<Corev1Event>
{
    public override string Singular => "event";

    public override string Plural => "events";

    public override IReadOnlyList<string> Names { get; } = ["event", "events", "ev"];

    public override string Qualified => "event";

    public override bool HasEvents => false;

    public override IReadOnlyList<Column> Columns { get; } =
    [
        Of("LAST SEEN", (e, now) => Humanize.Age(Describing.LastSeen(e), now)),
        Of("TYPE", e => Cell.State(Describing.Type(e))),
        Of("REASON", e => e.Reason),
        Of("OBJECT", e => $"{e.InvolvedObject.Kind?.ToLowerInvariant()}/{e.InvolvedObject.Name}"),
        Of("SOURCE", e => Describing.Source(e), wide: true),
        Of("MESSAGE", e => Describing.OneLine(e.Message)),
        Of("FIRST SEEN", (e, now) => Humanize.Age(e.FirstTimestamp ?? Describing.LastSeen(e), now), wide: true),
        Of("COUNT", e => (e.Count ?? 1).ToString(CultureInfo.InvariantCulture), wide: true),
        new("NAME", (item, _) => item.Name, Wide: true),
    ];

    /// <summary>
    /// The events about <paramref name="objects"/> (of one kind, in one namespace), in one request that the API server
    /// selects by their kind, and by name when there is one object. <see cref="IsAbout"/> tells whose each one is.
    /// </summary>
    public static async Task<IReadOnlyList<Corev1Event>> AboutAsync(Session session, IReadOnlyList<Resource> objects, CancellationToken cancellationToken)
    {
        if (objects.Count == 0)
        {
            return [];
        }

        var first = objects[0];
        var selector = $"involvedObject.kind={first.Kind}" + (objects.Count == 1 ? $",involvedObject.name={first.Metadata.Name}" : "");
        var events = await session.KubernetesAsync($"listing the events of {first.Kind} objects", kubernetes => kubernetes.CoreV1.ListNamespacedEventAsync(
            first.Metadata.NamespaceProperty, fieldSelector: selector, cancellationToken: cancellationToken));
        return [.. events.Items];
    }

    /// <summary>
    /// Whether an event is about this very object: by kind and name, and by uid when both have one, so that the events
    /// of an earlier object of the same name do not show.
    /// </summary>
    public static bool IsAbout(Corev1Event e, Resource about) =>
        e.InvolvedObject.Kind == about.Kind
        && e.InvolvedObject.Name == about.Metadata.Name
        && (string.IsNullOrEmpty(e.InvolvedObject.Uid) || string.IsNullOrEmpty(about.Metadata.Uid) || e.InvolvedObject.Uid == about.Metadata.Uid);

    public override async Task<IReadOnlyList<Item>> ListAsync(
        Session session, string? @namespace, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken)
    {
        var selector = labels is { Count: > 0 } ? string.Join(',', labels.Select(l => $"{l.Key}={l.Value}")) : null;
        var events = await session.KubernetesAsync("listing events", kubernetes => @namespace is null
            ? kubernetes.CoreV1.ListEventForAllNamespacesAsync(labelSelector: selector, cancellationToken: cancellationToken)
            : kubernetes.CoreV1.ListNamespacedEventAsync(@namespace, labelSelector: selector, cancellationToken: cancellationToken));
        return [.. events.Items.OrderBy(Describing.LastSeen).Select(ToItem)];
    }

    public override async Task<Item?> GetAsync(Session session, string name, string @namespace, CancellationToken cancellationToken)
    {
        var found = await session.KubernetesAsync($"reading event {name}", async kubernetes =>
        {
            try
            {
                return await kubernetes.CoreV1.ReadNamespacedEventAsync(name, @namespace, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        });
        return found is null ? null : ToItem(found);
    }

    public override Task<bool> DeleteAsync(Session session, string name, string @namespace, CancellationToken cancellationToken) =>
        session.KubernetesAsync($"deleting event {name}", async kubernetes =>
        {
            try
            {
                await kubernetes.CoreV1.DeleteNamespacedEventAsync(name, @namespace, cancellationToken: cancellationToken);
                return true;
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }
        });

    public override void Describe(Description description, Item item, IReadOnlyList<Corev1Event> events, DateTimeOffset now)
    {
        var e = (Corev1Event)item.Value;
        Describing.Metadata(description, e, now);
        description.Field(0, "Involved Object", $"{e.InvolvedObject.Kind}/{e.InvolvedObject.Name}")
            .State(0, "Type", Describing.Type(e))
            .Field(0, "Reason", e.Reason)
            .Field(0, "Message", e.Message)
            .Field(0, "Count", (e.Count ?? 1).ToString(CultureInfo.InvariantCulture))
            .Field(0, "First Seen", Humanize.Timestamp(e.FirstTimestamp, now))
            .Field(0, "Last Seen", Humanize.Timestamp(e.LastTimestamp, now))
            .Field(0, "Source", Describing.Source(e));
    }

    /// <summary>An event as listed; a list's items come without apiVersion and kind, which <c>-o yaml</c> shows.</summary>
    private static Item ToItem(Corev1Event e)
    {
        e.ApiVersion ??= Corev1Event.KubeApiVersion;
        e.Kind ??= Corev1Event.KubeKind;
        return new(e.Metadata.Name, e.Metadata.NamespaceProperty, e, JsonNode.Parse(KubernetesJson.Serialize(e))!);
    }
}
