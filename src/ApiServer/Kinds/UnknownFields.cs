using System.Text.Json.Nodes;

namespace Fluid.Aspire.ApiServer.Kinds;

/// <summary>
/// The fields of what a client sent that are missing from the object as the kind's model wrote it back: fields the
/// schema does not know, which Kubernetes calls unknown and prunes. Empty values (null, "", [], {}, false) do not
/// count, because the model leaves them out as Go's omitempty does. Metadata is Kubernetes' own and not checked.
/// </summary>
internal static class UnknownFields
{
    public static IReadOnlyList<string> Find(JsonObject sent, JsonObject kept)
    {
        var unknown = new List<string>();
        foreach (var (name, value) in sent)
        {
            if (name is not ("metadata" or "apiVersion" or "kind"))
            {
                Walk(name, value, kept[name], unknown);
            }
        }

        return unknown;
    }

    /// <summary>Applies the client's choice: refuse, warn or ignore.</summary>
    /// <exception cref="Http.ApiException">400 with every unknown field, when <paramref name="validation"/> is strict.</exception>
    public static IReadOnlyList<string> Enforce(ServedKind kind, JsonObject sent, JsonObject kept, FieldValidation validation)
    {
        if (validation == FieldValidation.Ignore)
        {
            return [];
        }

        var unknown = Find(sent, kept).Select(path => $"unknown field \"{path}\"").ToList();
        if (unknown.Count > 0 && validation == FieldValidation.Strict)
        {
            throw Http.ApiException.BadRequest(
                $"{kind.Kind} in version \"{kind.Version}\" cannot be handled as a {kind.Kind}: strict decoding error: {string.Join(", ", unknown)}");
        }

        return unknown;
    }

    private static void Walk(string path, JsonNode? sent, JsonNode? kept, List<string> unknown)
    {
        if (IsEmpty(sent))
        {
            return;
        }

        switch (sent)
        {
            case JsonObject fields when kept is JsonObject keptFields:
                foreach (var (name, value) in fields)
                {
                    Walk($"{path}.{name}", value, keptFields[name], unknown);
                }

                break;
            case JsonArray items when kept is JsonArray keptItems && items.Count == keptItems.Count:
                for (var i = 0; i < items.Count; i++)
                {
                    Walk($"{path}[{i}]", items[i], keptItems[i], unknown);
                }

                break;
            case not null when kept is null:
                unknown.Add(path);
                break;
        }
    }

    private static bool IsEmpty(JsonNode? node) => node switch
    {
        null => true,
        JsonObject o => o.Count == 0,
        JsonArray a => a.Count == 0,
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length == 0,
        JsonValue v when v.TryGetValue<bool>(out var b) => !b,
        _ => false,
    };
}
