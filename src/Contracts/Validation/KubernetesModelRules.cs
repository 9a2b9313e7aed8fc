using System.Reflection;
using k8s.Models;

namespace Fluid.Aspire.Contracts.Validation;

/// <summary>
/// The rules on the KubernetesClient types the contracts use, which cannot carry this project's attributes (object
/// metadata, owner references, a node selector, Kubernetes' Event): the same attributes, kept in a table by type and
/// property, read wherever attributes are.
/// </summary>
internal static class KubernetesModelRules
{
    /// <summary>
    /// Kubernetes' kinds that the control plane writes and holds to rules of this table: the local API server admits
    /// their objects only when they pass, and docs/resources.md lists their rules beside this project's kinds'.
    /// </summary>
    public static IReadOnlyList<Type> Kinds { get; } = [typeof(Corev1Event)];

    private static readonly Dictionary<(Type Type, string Property), Attribute[]> Table = new()
    {
        [(typeof(V1ObjectMeta), nameof(V1ObjectMeta.Name))] = [new RequiredAttribute { Example = "housing" }],
        [(typeof(V1ObjectMeta), nameof(V1ObjectMeta.NamespaceProperty))] = [new RequiredAttribute { Example = Resource.DefaultNamespace }, new DnsLabelAttribute { Example = "team-a" }],
        [(typeof(V1ObjectMeta), nameof(V1ObjectMeta.Labels))] = [new LabelsAttribute()],
        [(typeof(V1ObjectMeta), nameof(V1ObjectMeta.Annotations))] = [new AnnotationsAttribute()],
        [(typeof(V1ObjectMeta), nameof(V1ObjectMeta.Finalizers))] = [new QualifiedNameAttribute()],
        [(typeof(V1OwnerReference), nameof(V1OwnerReference.ApiVersion))] = [new RequiredAttribute { Example = ResourceKinds.ApiVersion }],
        [(typeof(V1OwnerReference), nameof(V1OwnerReference.Kind))] = [new RequiredAttribute { Example = "Dataset" }],
        [(typeof(V1OwnerReference), nameof(V1OwnerReference.Name))] = [new RequiredAttribute { Example = "housing" }],
        [(typeof(V1OwnerReference), nameof(V1OwnerReference.Uid))] = [new RequiredAttribute { Example = "0b9c6a8e-2f0f-4a55-9d1e-5c9a43f0b7a1" }],
        [(typeof(Corev1Event), nameof(Corev1Event.InvolvedObject))] = [new RequiredAttribute { Example = "{\"kind\": \"Dataset\", \"name\": \"housing\"}" }],
        [(typeof(Corev1Event), nameof(Corev1Event.Reason))] =
            [new RequiredAttribute { Example = "Scheduled" }, new PatternAttribute(@"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$", "a CamelCase word") { Example = "Scheduled" }],
        [(typeof(Corev1Event), nameof(Corev1Event.Count))] = [new RangeAttribute(1)],
        [(typeof(V1ObjectReference), nameof(V1ObjectReference.Kind))] = [new RequiredAttribute { Example = "Dataset" }],
        [(typeof(V1ObjectReference), nameof(V1ObjectReference.NamespaceProperty))] = [new DnsLabelAttribute { Example = "team-a" }],
        [(typeof(V1ObjectReference), nameof(V1ObjectReference.Name))] = [new RequiredAttribute { Example = "housing" }],
        [(typeof(V1NodeSelector), nameof(V1NodeSelector.NodeSelectorTerms))] =
            [new RequiredAttribute { Example = "[{\"matchExpressions\": [{\"key\": \"topology.kubernetes.io/zone\", \"operator\": \"In\", \"values\": [\"zone-a\"]}]}]" }],
        [(typeof(V1NodeSelectorTerm), nameof(V1NodeSelectorTerm.MatchExpressions))] =
            [new RequiredAttribute { Example = "[{\"key\": \"topology.kubernetes.io/zone\", \"operator\": \"In\", \"values\": [\"zone-a\"]}]" }],
        [(typeof(V1NodeSelectorRequirement), nameof(V1NodeSelectorRequirement.Key))] =
            [new RequiredAttribute { Example = "topology.kubernetes.io/zone" }, new QualifiedNameAttribute()],
        [(typeof(V1NodeSelectorRequirement), nameof(V1NodeSelectorRequirement.OperatorProperty))] =
            [new RequiredAttribute { Example = "In" }, new AllowedValuesAttribute([.. NodeSelectorOperators.All])],
    };

    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        [nameof(V1NodeSelectorTerm)] = "Requirements that a node must all satisfy (they are ANDed).",
        [nameof(V1NodeSelectorRequirement)] = "One requirement on a node label: key operator values.",
        [$"{nameof(V1NodeSelector)}.{nameof(V1NodeSelector.NodeSelectorTerms)}"] = "The terms, any one of which selects a node (they are ORed); at least one.",
        [$"{nameof(V1NodeSelectorTerm)}.{nameof(V1NodeSelectorTerm.MatchExpressions)}"] = "The requirements on node labels; at least one.",
        [$"{nameof(V1NodeSelectorTerm)}.{nameof(V1NodeSelectorTerm.MatchFields)}"] = "Not supported: nodes are selected by their labels.",
        [$"{nameof(V1NodeSelectorRequirement)}.{nameof(V1NodeSelectorRequirement.Key)}"] = "The label key, e.g. topology.kubernetes.io/zone.",
        [$"{nameof(V1NodeSelectorRequirement)}.{nameof(V1NodeSelectorRequirement.OperatorProperty)}"] = "How the label is compared: In, NotIn, Exists, DoesNotExist, Gt or Lt.",
        [$"{nameof(V1ResourceRequirements)}.{nameof(V1ResourceRequirements.Requests)}"] =
            "The amounts needed, by resource name (cpu, memory, ephemeral-storage, or a qualified name such as nvidia.com/gpu); each above zero.",
        [$"{nameof(V1ResourceRequirements)}.{nameof(V1ResourceRequirements.Limits)}"] = "The most that may be used, by resource name; a request is at most its limit.",
        [$"{nameof(V1ResourceRequirements)}.{nameof(V1ResourceRequirements.Claims)}"] = "Not supported: ask for amounts in requests and limits.",
        [$"{nameof(V1NodeSelectorRequirement)}.{nameof(V1NodeSelectorRequirement.Values)}"] =
            "For In and NotIn, one or more; for Exists and DoesNotExist, none; for Gt and Lt, one integer.",
    };

    /// <summary>The description of a KubernetesClient type or property the contracts use (its own documentation is not deployed), or null.</summary>
    public static string? Description(MemberInfo member)
    {
        ArgumentNullException.ThrowIfNull(member);
        var key = member is Type type ? type.Name : $"{member.DeclaringType?.Name}.{member.Name}";
        return Descriptions.GetValueOrDefault(key);
    }

    /// <summary>The attributes of <paramref name="member"/>: its own, else the table's for a KubernetesClient type.</summary>
    public static IEnumerable<T> Of<T>(MemberInfo member)
        where T : Attribute
    {
        ArgumentNullException.ThrowIfNull(member);
        var own = member.GetCustomAttributes<T>(inherit: true);
        return member.DeclaringType is { } type && Table.TryGetValue((type, member.Name), out var listed)
            ? own.Concat(listed.OfType<T>())
            : own;
    }

    /// <summary>
    /// The name rules of a type go by: a KubernetesClient type's kind without its version (V1NodeSelector:
    /// NodeSelector; Corev1Event, which the core group's version tells apart from events.k8s.io's: Event).
    /// </summary>
    public static string RuleName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.Namespace != typeof(V1NodeSelector).Namespace ? type.Name
            : type.Name.StartsWith("V1", StringComparison.Ordinal) ? type.Name[2..]
            : type.Name.StartsWith("Corev1", StringComparison.Ordinal) ? type.Name[6..]
            : type.Name;
    }
}
