using System.Text;
using System.Text.Json.Nodes;

namespace Fluid.Aspire.Contracts.Schema;

/// <summary>
/// The simple JSONPath of a printer column, <c>.status.cacheStates.cached</c>: field names after dots, a dot within
/// a name escaped as <c>\.</c> (<c>.metadata.labels.fluid\.io/run</c>). It is the subset the API server evaluates for
/// a CRD's columns, so <c>fluid get</c> reads exactly what <c>kubectl get</c> shows.
/// </summary>
public static class PrinterColumnPath
{
    /// <summary>The field names of <paramref name="jsonPath"/>, unescaped.</summary>
    /// <exception cref="FormatException">Not a simple path; the message shows one.</exception>
    public static IReadOnlyList<string> Parse(string jsonPath)
    {
        ArgumentNullException.ThrowIfNull(jsonPath);
        if (!jsonPath.StartsWith('.') || jsonPath.EndsWith('.') && !jsonPath.EndsWith("\\.", StringComparison.Ordinal))
        {
            throw new FormatException($"'{jsonPath}' is not a simple JSONPath; write field names after dots, e.g. .status.phase.");
        }

        var fields = new List<string>();
        var name = new StringBuilder();
        for (var i = 1; i < jsonPath.Length; i++)
        {
            if (jsonPath[i] == '\\' && i + 1 < jsonPath.Length && jsonPath[i + 1] == '.')
            {
                name.Append('.');
                i++;
            }
            else if (jsonPath[i] == '.')
            {
                fields.Add(Take(name, jsonPath));
            }
            else if (jsonPath[i] is '[' or ']' or '*' or '@' or '$' or '{' or '}')
            {
                throw new FormatException($"'{jsonPath}' is not a simple JSONPath: '{jsonPath[i]}' selects more than one field; name one field per step, e.g. .status.phase.");
            }
            else
            {
                name.Append(jsonPath[i]);
            }
        }

        fields.Add(Take(name, jsonPath));
        return fields;
    }

    /// <summary>The value at <paramref name="jsonPath"/> in <paramref name="json"/>, or null when a field on the way is missing.</summary>
    /// <exception cref="FormatException">Not a simple path.</exception>
    public static JsonNode? Read(JsonNode? json, string jsonPath)
    {
        var node = json;
        foreach (var field in Parse(jsonPath))
        {
            node = node is JsonObject fields ? fields[field] : null;
        }

        return node;
    }

    private static string Take(StringBuilder name, string jsonPath)
    {
        if (name.Length == 0)
        {
            throw new FormatException($"'{jsonPath}' has an empty field name; write field names after single dots, e.g. .status.phase.");
        }

        var field = name.ToString();
        name.Clear();
        return field;
    }
}
