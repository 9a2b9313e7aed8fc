using Fluid.Aspire.ApiServer.Kinds;

namespace Fluid.Aspire.ApiServer.Http;

/// <summary>
/// Where a resource request points, parsed from its URL:
/// <c>/api/v1/[namespaces/{ns}/]{plural}[/{name}[/status]]</c> or the same under <c>/apis/{group}/{version}</c>.
/// </summary>
/// <param name="Kind">The kind served at the URL.</param>
/// <param name="Namespace">The namespace in the URL; null for a cluster-scoped kind or a list across namespaces.</param>
/// <param name="Name">The object's name; null for the collection.</param>
/// <param name="Status">True for the <c>status</c> subresource.</param>
public sealed record ResourcePath(ServedKind Kind, string? Namespace, string? Name, bool Status)
{
    /// <summary>Parses the segments after the group and version.</summary>
    /// <exception cref="ApiException">404 naming what is not served.</exception>
    public static ResourcePath Parse(string group, string version, IReadOnlyList<string> segments)
    {
        string? namespaceName = null;
        var rest = segments;
        // namespaces/{ns}/{plural}/… addresses a namespaced collection; namespaces/{name}[/status] the Namespace itself.
        if (rest.Count >= 3 && rest[0] == "namespaces" && rest[2] != "status")
        {
            namespaceName = rest[1];
            rest = [.. rest.Skip(2)];
        }

        if (rest.Count is 0 or > 3)
        {
            throw NotServed(group, version, segments);
        }

        var kind = ServedKinds.Find(group, version, rest[0]) ?? throw NotServed(group, version, segments);
        if (namespaceName is not null && !kind.Namespaced)
        {
            throw ApiException.NotFound($"{kind.QualifiedResource} is cluster-scoped: address it without namespaces/{namespaceName}/");
        }

        var status = false;
        if (rest.Count == 3)
        {
            status = rest[2] == "status" && kind.HasStatus ? true
                : throw ApiException.NotFound($"{kind.QualifiedResource} has no subresource '{rest[2]}'{(kind.HasStatus ? "; it has status" : "")}");
        }

        return new ResourcePath(kind, namespaceName, rest.Count >= 2 ? rest[1] : null, status);
    }

    private static ApiException NotServed(string group, string version, IReadOnlyList<string> segments) =>
        ApiException.NotFound($"the server could not find the requested resource: /{(group.Length == 0 ? "api" : "apis/" + group)}/{version}/{string.Join('/', segments)} " +
            "(the local API serves the kinds listed by kubectl api-resources; see docs/local-api.md)");
}
