using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Contracts.Tests.Crds;

/// <summary>
/// A CRD's openAPIV3Schema as a plain JSON Schema, for an independent validator: int-or-string becomes its two types,
/// OpenAPI 3.0's boolean exclusiveMinimum becomes 2020-12's number, and the x-kubernetes keywords (list-maps, CEL),
/// which only an API server understands, are dropped.
/// </summary>
internal static class JsonSchemas
{
    public static JsonSchema Of(V1CustomResourceDefinition crd)
    {
        var json = JsonNode.Parse(KubernetesJson.Serialize(crd.Spec.Versions.Single().Schema.OpenAPIV3Schema))!;
        Convert(json);
        return JsonSchema.FromText(json.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }

    /// <summary>The problems <paramref name="schema"/> finds in <paramref name="instance"/>; empty when it is valid.</summary>
    public static IReadOnlyList<string> Problems(JsonSchema schema, JsonNode instance)
    {
        using var document = JsonDocument.Parse(instance.ToJsonString());
        var results = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid
            ? []
            : [.. (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))];
    }

    private static void Convert(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject schema:
                if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true)
                {
                    schema["type"] = new JsonArray("integer", "string");
                }

                if (schema["exclusiveMinimum"] is JsonValue exclusive && exclusive.GetValueKind() == JsonValueKind.True)
                {
                    schema["exclusiveMinimum"] = schema["minimum"]!.DeepClone();
                    schema.Remove("minimum");
                }

                foreach (var key in schema.Select(p => p.Key).Where(k => k.StartsWith("x-kubernetes-", StringComparison.Ordinal)).ToList())
                {
                    schema.Remove(key);
                }

                foreach (var (_, value) in schema.ToList())
                {
                    Convert(value);
                }

                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    Convert(item);
                }

                break;
        }
    }
}
