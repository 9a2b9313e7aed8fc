using System.Text.Json.Nodes;
using Fluid.Aspire.ApiServer.Http;
using Fluid.Aspire.ApiServer.Kinds;

namespace Fluid.Aspire.ApiServer.Selectors;

/// <summary>
/// A field selector (the <c>fieldSelector</c> query parameter): <c>field=value</c>, <c>field==value</c> or
/// <c>field!=value</c>, joined by commas. A kind allows <c>metadata.name</c>, <c>metadata.namespace</c> and its own
/// <see cref="ServedKind.SelectableFields"/>; any other field is refused, as Kubernetes refuses it.
/// </summary>
public sealed class FieldSelector
{
    private readonly IReadOnlyList<(string[] Path, string Value, bool Negated)> _requirements;

    private FieldSelector(IReadOnlyList<(string[] Path, string Value, bool Negated)> requirements) => _requirements = requirements;

    /// <summary>The selector that selects everything.</summary>
    public static FieldSelector Everything { get; } = new([]);

    /// <summary>The value a requirement <c>metadata.name=…</c> pins, or null: a watch of one object.</summary>
    public string? Name => _requirements.FirstOrDefault(r => !r.Negated && r.Path is ["metadata", "name"]).Value;

    /// <summary>Parses a selector for <paramref name="kind"/>; empty or null selects everything.</summary>
    /// <exception cref="ApiException">400 for a field the kind does not support or text that is not a requirement.</exception>
    public static FieldSelector Parse(string? text, ServedKind kind)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<(string[], string, bool)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var (field, value, negated) = part.IndexOf("!=", StringComparison.Ordinal) is var ne and > 0
                ? (part[..ne], part[(ne + 2)..], true)
                : part.IndexOf("==", StringComparison.Ordinal) is var eq2 and > 0
                    ? (part[..eq2], part[(eq2 + 2)..], false)
                    : part.IndexOf('=', StringComparison.Ordinal) is var eq and > 0
                        ? (part[..eq], part[(eq + 1)..], false)
                        : throw ApiException.BadRequest($"invalid field selector requirement '{part}': write field=value or field!=value");
            field = field.Trim();
            if (field is not ("metadata.name" or "metadata.namespace") && !kind.SelectableFields.Contains(field))
            {
                throw ApiException.BadRequest(
                    $"field label not supported: {field} (the {kind.Plural} resource can be selected by metadata.name, metadata.namespace" +
                    $"{string.Concat(kind.SelectableFields.Order(StringComparer.Ordinal).Select(f => ", " + f))})");
            }

            // Kubernetes selects events by their source's component under the name "source".
            requirements.Add((field == "source" ? ["source", "component"] : field.Split('.'), value.Trim(), negated));
        }

        return new FieldSelector(requirements);
    }

    /// <summary>True when <paramref name="value"/> meets every requirement; a missing field reads as "".</summary>
    public bool Matches(JsonObject value) => _requirements.All(r => (Read(value, r.Path) == r.Value) != r.Negated);

    private static string Read(JsonObject value, string[] path)
    {
        JsonNode? node = value;
        foreach (var field in path)
        {
            node = node is JsonObject fields ? fields[field] : null;
        }

        return node switch
        {
            null => "",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
            _ => node.ToJsonString(),
        };
    }
}
