using k8s.Models;

namespace Fluid.Aspire.Contracts.Tests.Crds;

/// <summary>The rules of a structural schema (apiextensions.k8s.io/v1), as the API server checks a CRD before accepting it.</summary>
internal static class StructuralSchema
{
    /// <summary>What makes <paramref name="root"/> not structural, one line per problem.</summary>
    public static IReadOnlyList<string> Problems(V1JSONSchemaProps root)
    {
        var problems = new List<string>();
        if (root.Type != "object")
        {
            problems.Add("(root): type must be object");
        }

        if (root.Properties is { } properties && properties.TryGetValue("metadata", out var metadata) &&
            (metadata.Type != "object" || k8s.KubernetesJson.Serialize(metadata) != """{"type":"object"}"""))
        {
            problems.Add($"metadata: only type: object is allowed, not {k8s.KubernetesJson.Serialize(metadata)}");
        }

        Check(root, "(root)", problems);
        return problems;
    }

    private static void Check(V1JSONSchemaProps node, string path, List<string> problems)
    {
        var intOrString = node.XKubernetesIntOrString == true;
        if (node.Type is null && !intOrString && node.XKubernetesPreserveUnknownFields != true)
        {
            problems.Add($"{path}: has no type");
        }

        if (intOrString && node.Type is not null)
        {
            problems.Add($"{path}: x-kubernetes-int-or-string must not have a type");
        }

        if (node.Properties is { Count: > 0 } && node.AdditionalProperties is not null)
        {
            problems.Add($"{path}: properties and additionalProperties are mutually exclusive");
        }

        if (node.Type == "array" && node.Items is not V1JSONSchemaProps)
        {
            problems.Add($"{path}: an array needs items");
        }

        if (node.Type == "object" && node.Properties is null && node.AdditionalProperties is null && path != "(root).metadata")
        {
            problems.Add($"{path}: an object needs properties or additionalProperties");
        }

        if (node.XKubernetesListType == "map")
        {
            var items = node.Items as V1JSONSchemaProps;
            if (items?.Type != "object" || node.XKubernetesListMapKeys is not { Count: > 0 } keys ||
                keys.Any(key => items.Required?.Contains(key) != true || items.Properties?.ContainsKey(key) != true))
            {
                problems.Add($"{path}: a list-map needs object items whose keys are required properties");
            }
        }

        foreach (var rule in node.XKubernetesValidations ?? [])
        {
            if (string.IsNullOrWhiteSpace(rule.Rule) || string.IsNullOrWhiteSpace(rule.Message))
            {
                problems.Add($"{path}: a CEL rule needs an expression and a message");
            }
        }

        foreach (var (name, child) in node.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
        {
            Check(child, $"{path}.{name}", problems);
        }

        if (node.Items is V1JSONSchemaProps item)
        {
            Check(item, $"{path}[]", problems);
        }

        if (node.AdditionalProperties is V1JSONSchemaProps value)
        {
            Check(value, $"{path}[*]", problems);
        }

        foreach (var (junctor, branches) in new[] { ("allOf", node.AllOf), ("anyOf", node.AnyOf), ("oneOf", node.OneOf), ("not", node.Not is null ? null : new[] { node.Not }) })
        {
            foreach (var branch in branches ?? [])
            {
                CheckInJunctor(branch, $"{path}.{junctor}", problems);
            }
        }
    }

    /// <summary>Inside allOf, anyOf, oneOf and not only value checks may appear: no types, descriptions, defaults or shapes of their own.</summary>
    private static void CheckInJunctor(V1JSONSchemaProps node, string path, List<string> problems)
    {
        if (node.Type is not null || node.Description is not null || node.DefaultProperty is not null || node.AdditionalProperties is not null ||
            node.Nullable is not null || node.XKubernetesPreserveUnknownFields is not null || node.XKubernetesIntOrString is not null)
        {
            problems.Add($"{path}: a logical junctor may hold value checks only, not type, description, default, additionalProperties, nullable or x-kubernetes keywords");
        }

        foreach (var child in (node.Properties?.Values ?? []).Concat(node.AllOf ?? []).Concat(node.AnyOf ?? []).Concat(node.OneOf ?? []))
        {
            CheckInJunctor(child, path, problems);
        }
    }
}
