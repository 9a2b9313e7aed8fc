using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fluid.Aspire.ApiServer.Http;

namespace Fluid.Aspire.ApiServer.Selectors;

/// <summary>
/// A label selector in Kubernetes' text form (the <c>labelSelector</c> query parameter, <c>kubectl get -l</c>):
/// requirements joined by commas, each <c>key=value</c>, <c>key==value</c>, <c>key!=value</c>,
/// <c>key in (a,b)</c>, <c>key notin (a,b)</c>, <c>key</c> or <c>!key</c>. Every requirement must hold.
/// </summary>
public sealed partial class LabelSelector
{
    private readonly IReadOnlyList<Func<JsonObject?, bool>> _requirements;

    private LabelSelector(IReadOnlyList<Func<JsonObject?, bool>> requirements) => _requirements = requirements;

    /// <summary>The selector that selects everything.</summary>
    public static LabelSelector Everything { get; } = new([]);

    /// <summary>Parses a selector; empty or null selects everything.</summary>
    /// <exception cref="ApiException">400 naming the requirement that could not be read.</exception>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Func<JsonObject?, bool>>();
        foreach (var part in SplitOutsideParentheses(text))
        {
            requirements.Add(ParseRequirement(part.Trim()));
        }

        return new LabelSelector(requirements);
    }

    /// <summary>True when the labels of <paramref name="value"/> meet every requirement.</summary>
    public bool Matches(JsonObject value)
    {
        var labels = value["metadata"]?["labels"] as JsonObject;
        return _requirements.All(requirement => requirement(labels));
    }

    private static Func<JsonObject?, bool> ParseRequirement(string requirement)
    {
        if (SetRequirement().Match(requirement) is { Success: true } set)
        {
            var key = set.Groups["key"].Value;
            var values = set.Groups["values"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            var negated = set.Groups["op"].Value == "notin";
            return labels => Value(labels, key) is { } v ? values.Contains(v) != negated : negated;
        }

        if (EqualityRequirement().Match(requirement) is { Success: true } equality)
        {
            var key = equality.Groups["key"].Value;
            var expected = equality.Groups["value"].Value;
            var negated = equality.Groups["op"].Value == "!=";
            return labels => (Value(labels, key) == expected) != negated;
        }

        if (ExistsRequirement().Match(requirement) is { Success: true } exists)
        {
            var key = exists.Groups["key"].Value;
            var negated = exists.Groups["not"].Success;
            return labels => (Value(labels, key) is not null) != negated;
        }

        throw ApiException.BadRequest(
            $"unable to parse requirement '{requirement}' of the label selector: write key=value, key!=value, key in (a,b), key notin (a,b), key or !key");
    }

    private static string? Value(JsonObject? labels, string key) => labels?[key]?.GetValue<string>();

    private static IEnumerable<string> SplitOutsideParentheses(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9./_-]+)\s+(?<op>in|notin)\s*\((?<values>[^()]*)\)$", RegexOptions.CultureInvariant)]
    private static partial Regex SetRequirement();

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9./_-]+)\s*(?<op>==|!=|=)\s*(?<value>[A-Za-z0-9._-]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex EqualityRequirement();

    [GeneratedRegex(@"^(?<not>!)?\s*(?<key>[A-Za-z0-9./_-]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex ExistsRequirement();
}
