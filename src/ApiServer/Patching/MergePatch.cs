using System.Text.Json.Nodes;

namespace Fluid.Aspire.ApiServer.Patching;

/// <summary>JSON merge patch (RFC 7386): objects merge field by field, <c>null</c> removes a field, anything else replaces.</summary>
public static class MergePatch
{
    /// <summary>The result of applying <paramref name="patch"/> to <paramref name="target"/> (neither is changed).</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject fields)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject existing ? existing.DeepClone().AsObject() : [];
        foreach (var (name, value) in fields)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = Apply(result[name], value);
            }
        }

        return result;
    }
}
