using System.Globalization;
using System.Text.Json;
using k8s.Models;

namespace Fluid.Aspire.Cluster.Membership;

/// <summary>
/// How a node's daemon says it is alive: a <c>coordination.k8s.io/v1</c> Lease named <c>fluid-{component}-{node}</c>
/// in the control plane's namespace, which the daemon renews and deletes when it stops, as a kubelet keeps its node's
/// Lease. The same on a laptop and on a cluster, so that the scheduler reads the same inputs in both.
/// </summary>
public static class MemberLease
{
    /// <summary>The label every member lease carries, and the selector that finds them all.</summary>
    public const string PartOf = "app.kubernetes.io/part-of";

    public const string PartOfValue = "fluid-aspire";

    public const string ComponentLabel = "app.kubernetes.io/component";

    public const string EndpointsAnnotation = "fluid.io/endpoints";

    public const string VersionAnnotation = "fluid.io/version";

    /// <summary>The label selector of every member lease.</summary>
    public static string Selector => $"{PartOf}={PartOfValue},{NodeLabels.Node},{ComponentLabel}";

    public static string Name(string node, string component) => $"fluid-{component}-{node}";

    /// <summary>The lease of <paramref name="member"/>, renewed at <paramref name="now"/>.</summary>
    public static V1Lease For(NodeMember member, TimeSpan duration, DateTimeOffset now) => new()
    {
        ApiVersion = "coordination.k8s.io/v1",
        Kind = "Lease",
        Metadata = new V1ObjectMeta
        {
            Name = Name(member.Node, member.Component),
            Labels = new Dictionary<string, string>
            {
                [PartOf] = PartOfValue,
                [NodeLabels.Node] = member.Node,
                [ComponentLabel] = member.Component,
            },
            Annotations = new Dictionary<string, string>
            {
                [EndpointsAnnotation] = JsonSerializer.Serialize(member.Endpoints, ClusterJson.Options),
                [VersionAnnotation] = member.Version,
            },
        },
        Spec = new V1LeaseSpec
        {
            HolderIdentity = $"{member.Host}_{member.ProcessId.ToString(CultureInfo.InvariantCulture)}",
            LeaseDurationSeconds = (int)duration.TotalSeconds,
            AcquireTime = member.StartedAt.UtcDateTime,
            RenewTime = now.UtcDateTime,
        },
    };

    /// <summary>The member a lease describes, or null when it is not a well-formed member lease.</summary>
    public static NodeMember? Read(V1Lease lease)
    {
        var labels = lease.Metadata?.Labels;
        var spec = lease.Spec;
        if (labels is null || spec?.RenewTime is not { } renewed || spec.LeaseDurationSeconds is not { } seconds
            || !labels.TryGetValue(NodeLabels.Node, out var node) || !labels.TryGetValue(ComponentLabel, out var component))
        {
            return null;
        }

        var holder = spec.HolderIdentity ?? "";
        var separator = holder.LastIndexOf('_');
        var annotations = new Dictionary<string, string>(lease.Metadata!.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        return new NodeMember(
            node,
            component,
            separator < 0 ? holder : holder[..separator],
            separator >= 0 && int.TryParse(holder[(separator + 1)..], CultureInfo.InvariantCulture, out var pid) ? pid : 0,
            Endpoints(annotations.GetValueOrDefault(EndpointsAnnotation)),
            Utc(spec.AcquireTime ?? renewed),
            Utc(renewed).AddSeconds(seconds),
            annotations.GetValueOrDefault(VersionAnnotation) ?? "");
    }

    private static Dictionary<string, string> Endpoints(string? json)
    {
        try
        {
            return json is null ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(json, ClusterJson.Options) ?? [];
        }
        catch (JsonException)
        {
            return new Dictionary<string, string>();
        }
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
