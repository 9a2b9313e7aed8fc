using System.Text.Json.Nodes;

namespace Fluid.Aspire.ApiServer.Patching;

/// <summary>
/// Kubernetes' strategic merge patch for the built-in kinds served here, which kubectl uses for them: a merge patch
/// in which lists with a merge key merge element by element (<c>$patch: delete</c> removes one), the lists of strings
/// Kubernetes merges (finalizers) take the union less <c>$deleteFromPrimitiveList</c>, and the ordering directives
/// (<c>$setElementOrder</c>, <c>$retainKeys</c>) are accepted and need no action because each list keeps its order.
/// </summary>
public static class StrategicMergePatch
{
    /// <summary>Lists merged by a key, by field name, as Kubernetes' built-in types declare them.</summary>
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["conditions"] = "type",
        ["addresses"] = "type",
        ["ownerReferences"] = "uid",
        ["taints"] = "key",
        ["images"] = "names",
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["volumes"] = "name",
        ["env"] = "name",
        ["volumeMounts"] = "mountPath",
        ["ports"] = "containerPort",
        ["imagePullSecrets"] = "name",
        ["hostAliases"] = "ip",
    };

    /// <summary>Lists of strings merged as sets.</summary>
    private static readonly HashSet<string> MergedPrimitiveLists = new(StringComparer.Ordinal) { "finalizers" };

    /// <summary>The result of applying <paramref name="patch"/> to <paramref name="target"/> (neither is changed).</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject fields)
        {
            return patch?.DeepClone();
        }

        if (fields["$patch"]?.GetValue<string>() == "replace")
        {
            var replacement = fields.DeepClone().AsObject();
            replacement.Remove("$patch");
            return replacement;
        }

        var result = target is JsonObject existing ? existing.DeepClone().AsObject() : [];
        foreach (var (name, value) in fields)
        {
            if (name.StartsWith("$setElementOrder/", StringComparison.Ordinal) || name is "$retainKeys" or "$patch")
            {
                continue;
            }

            if (name.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var listName = name["$deleteFromPrimitiveList/".Length..];
                var removed = (value as JsonArray ?? []).Select(v => v?.ToJsonString()).ToHashSet();
                if (result[listName] is JsonArray list)
                {
                    result[listName] = new JsonArray([.. list.Where(v => !removed.Contains(v?.ToJsonString())).Select(v => v?.DeepClone())]);
                }

                continue;
            }

            result[name] = value switch
            {
                null => null,
                JsonArray items when MergeKeys.TryGetValue(name, out var key) => MergeByKey(result[name] as JsonArray, items, key),
                JsonArray items when MergedPrimitiveLists.Contains(name) => Union(result[name] as JsonArray, items),
                _ => Apply(result[name], value),
            };
            if (value is null)
            {
                result.Remove(name);
            }
        }

        return result;
    }

    private static JsonArray MergeByKey(JsonArray? existing, JsonArray patch, string key)
    {
        var merged = (existing ?? []).Select(item => item?.DeepClone()).ToList();
        foreach (var item in patch.OfType<JsonObject>())
        {
            var id = item[key]?.ToJsonString();
            var index = merged.FindIndex(m => m?[key]?.ToJsonString() == id);
            if (item["$patch"]?.GetValue<string>() == "delete")
            {
                if (index >= 0)
                {
                    merged.RemoveAt(index);
                }
            }
            else if (index >= 0)
            {
                merged[index] = Apply(merged[index], item);
            }
            else
            {
                merged.Add(Apply(null, item));
            }
        }

        return [.. merged];
    }

    private static JsonArray Union(JsonArray? existing, JsonArray patch)
    {
        var merged = (existing ?? []).Select(item => item?.DeepClone()).ToList();
        foreach (var item in patch)
        {
            if (!merged.Any(m => m?.ToJsonString() == item?.ToJsonString()))
            {
                merged.Add(item?.DeepClone());
            }
        }

        return [.. merged];
    }
}
