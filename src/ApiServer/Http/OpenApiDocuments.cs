using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Fluid.Aspire.ApiServer.Kinds;
using k8s;

namespace Fluid.Aspire.ApiServer.Http;

/// <summary>
/// The OpenAPI v3 documents kubectl reads (<c>/openapi/v3</c> and one per group version): the schemas of the custom
/// kinds, which are the CRD schemas the publisher writes (so <c>kubectl explain dataset.spec</c> works), and the
/// operations with the <c>x-kubernetes-group-version-kind</c> and the <c>fieldValidation</c> parameter from which
/// kubectl learns that the server validates fields itself. Patch bodies list no strategic merge patch, so that
/// kubectl computes merge patches for custom kinds and builds strategic ones for built-in kinds from its own types.
/// </summary>
internal sealed class OpenApiDocuments
{
    private readonly FrozenDictionary<string, (string Json, string Hash)> _documents;

    public OpenApiDocuments()
    {
        _documents = ServedKinds.GroupVersions.ToFrozenDictionary(
            g => GroupVersionPath(g.Group, g.Version),
            g =>
            {
                var json = Document(g.Group, g.Version).ToJsonString();
                return (json, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..32]);
            });
    }

    /// <summary>The index: each group version's document and its hash.</summary>
    public string Index()
    {
        var paths = new JsonObject();
        foreach (var (path, document) in _documents)
        {
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={document.Hash}" };
        }

        return new JsonObject { ["paths"] = paths }.ToJsonString();
    }

    /// <summary>The document of <c>api/v1</c> or <c>apis/{group}/{version}</c>, or null.</summary>
    public string? Find(string path) => _documents.TryGetValue(path, out var document) ? document.Json : null;

    private static string GroupVersionPath(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    private static JsonObject Document(string group, string version)
    {
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var kind in ServedKinds.All.Where(k => k.Group == group && k.Version == version))
        {
            var schemaName = SchemaName(kind);
            var gvk = new JsonObject { ["group"] = kind.Group, ["version"] = kind.Version, ["kind"] = kind.Kind };
            var objectRef = new JsonObject { ["$ref"] = $"#/components/schemas/{schemaName}" };
            var root = $"/{GroupVersionPath(group, version)}/{(kind.Namespaced ? "namespaces/{namespace}/" : "")}{kind.Plural}";
            paths[root] = new JsonObject
            {
                ["get"] = Operation("list", gvk, objectRef),
                ["post"] = Operation("post", gvk, objectRef, "application/json"),
                ["delete"] = Operation("deletecollection", gvk, objectRef),
            };
            var item = new JsonObject
            {
                ["get"] = Operation("get", gvk, objectRef),
                ["put"] = Operation("put", gvk, objectRef, "application/json"),
                ["patch"] = Operation("patch", gvk, objectRef, "application/merge-patch+json"),
                ["delete"] = Operation("delete", gvk, objectRef),
            };
            paths[root + "/{name}"] = item;
            if (kind.HasStatus)
            {
                paths[root + "/{name}/status"] = item.DeepClone();
            }

            var schema = kind.Schema is { } crd ? JsonNode.Parse(KubernetesJson.Serialize(crd))!.AsObject() : new JsonObject { ["type"] = "object" };
            var properties = schema["properties"] as JsonObject ?? [];
            properties["apiVersion"] = new JsonObject { ["type"] = "string", ["description"] = "The API group and version of the object." };
            properties["kind"] = new JsonObject { ["type"] = "string", ["description"] = "The kind of the object." };
            properties["metadata"] = new JsonObject { ["type"] = "object", ["description"] = "Kubernetes' object metadata." };
            schema["properties"] = properties;
            schema["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone());
            schemas[schemaName] = schema;
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Fluid.Aspire local API", ["version"] = Discovery.Version.GitVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static JsonObject Operation(string action, JsonObject gvk, JsonObject objectRef, string? bodyType = null)
    {
        var operation = new JsonObject
        {
            ["operationId"] = $"{action}{gvk["kind"]}",
            ["parameters"] = new JsonArray(
                Query("fieldValidation", "Ignore, Warn or Strict: what to do with fields the schema does not know."),
                Query("dryRun", "All: check the request without storing anything.")),
            ["responses"] = new JsonObject
            {
                ["200"] = new JsonObject
                {
                    ["description"] = "OK",
                    ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = objectRef.DeepClone() } },
                },
            },
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
        };
        if (bodyType is not null)
        {
            operation["requestBody"] = new JsonObject
            {
                ["content"] = new JsonObject { [bodyType] = new JsonObject { ["schema"] = objectRef.DeepClone() } },
            };
        }

        return operation;
    }

    private static JsonObject Query(string name, string description) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["description"] = description,
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };

    /// <summary>Kubernetes' schema names reverse the group: <c>io.fluid-aspire.data.v1alpha1.Dataset</c>.</summary>
    private static string SchemaName(ServedKind kind) =>
        kind.Group.Length == 0 ? $"io.k8s.api.core.{kind.Version}.{kind.Kind}" : $"{string.Join('.', kind.Group.Split('.').Reverse())}.{kind.Version}.{kind.Kind}";
}
