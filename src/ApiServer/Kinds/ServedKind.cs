using System.Text.Json.Nodes;
using k8s.Models;

namespace Fluid.Aspire.ApiServer.Kinds;

/// <summary>
/// One kind the local API serves: where it lives in the URL space, how discovery describes it, how an object of it is
/// checked before it is stored (<see cref="Admission"/>), how <c>kubectl get</c> prints it, and which fields a field
/// selector may name.
/// </summary>
public sealed class ServedKind
{
    /// <summary>The API group; empty for Kubernetes' core group.</summary>
    public required string Group { get; init; }

    /// <summary>The version within the group, e.g. <c>v1alpha1</c>.</summary>
    public required string Version { get; init; }

    /// <summary>The kind, e.g. <c>Dataset</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The resource name in URLs, e.g. <c>datasets</c>.</summary>
    public required string Plural { get; init; }

    /// <summary>True for kinds whose objects live in a namespace.</summary>
    public required bool Namespaced { get; init; }

    /// <summary>Short names, e.g. <c>ds</c>.</summary>
    public IReadOnlyList<string> ShortNames { get; init; } = [];

    /// <summary>Categories, e.g. <c>fluid</c> (<c>kubectl get fluid</c>).</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>True when the kind has a <c>status</c> subresource: the main resource then ignores status, and the subresource everything else.</summary>
    public bool HasStatus { get; init; }

    /// <summary>Checks and normalizes an object before it is stored.</summary>
    public required IAdmission Admission { get; init; }

    /// <summary>The columns of <c>kubectl get</c> after NAME.</summary>
    public required IReadOnlyList<TableColumn> Columns { get; init; }

    /// <summary>
    /// Fields a field selector may name besides <c>metadata.name</c> and <c>metadata.namespace</c> (which every kind
    /// has), each as the dotted path of the field it reads.
    /// </summary>
    public IReadOnlySet<string> SelectableFields { get; init; } = new HashSet<string>();

    /// <summary>
    /// The seconds a deletion gives an object to stop before it goes (Kubernetes' graceful deletion, for Pods), or null
    /// when it goes at once; from the stored object and the request's options.
    /// </summary>
    public Func<JsonObject, V1DeleteOptions?, long?>? GracePeriod { get; init; }

    /// <summary>
    /// True when its objects expire <c>Fluid:ApiServer:EventTtl</c> after their last write, as kube-apiserver's
    /// <c>--event-ttl</c> makes Events do.
    /// </summary>
    public bool Expires { get; init; }

    /// <summary>The schema of the kind, for the OpenAPI documents; null for built-in kinds, which kubectl knows already.</summary>
    public V1JSONSchemaProps? Schema { get; init; }

    /// <summary><c>group/version</c>, or <c>version</c> for the core group.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The lower-case singular, e.g. <c>dataset</c>.</summary>
    public string Singular => Kind.ToLowerInvariant();

    /// <summary><c>plural.group</c> (or just the plural in the core group), as Kubernetes' errors name a resource.</summary>
    public string QualifiedResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>The kind of a list of these objects, e.g. <c>DatasetList</c>.</summary>
    public string ListKind => Kind + "List";

    /// <summary>The verbs of the main resource, as discovery lists them.</summary>
    public static IReadOnlyList<string> Verbs { get; } = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <inheritdoc />
    public override string ToString() => QualifiedResource;
}

/// <summary>A column of a Table response: its definition and how a cell is read from an object.</summary>
/// <param name="Definition">Name, type (<c>string</c>, <c>integer</c>, <c>date</c>), priority (0 always shown, 1 with <c>-o wide</c>) and description.</param>
/// <param name="Cell">The cell's value for an object, or null when the field is unset.</param>
public sealed record TableColumn(V1CustomResourceColumnDefinition Definition, Func<JsonObject, JsonNode?> Cell);
