using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Fluid.Aspire.Hosting.Kubernetes.Helm;

/// <summary>The chart's values.yaml: nested maps in declaration order, each leaf a default.</summary>
internal sealed partial class ValuesTree
{
    public Dictionary<string, object> Root { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The Helm reference to the value at <paramref name="path"/>: <c>.Values.a.b</c>, or <c>index .Values "a" "b-c"</c>
    /// when a part is not an identifier (an environment variable such as <c>MY-SETTING</c>).
    /// </summary>
    public static string Reference(IReadOnlyList<string> path) =>
        path.All(part => Identifier().IsMatch(part))
            ? ".Values." + string.Join('.', path)
            : $"(index .Values {string.Join(' ', path.Select(part => $"\"{part}\""))})";

    /// <summary>Sets the default at <paramref name="path"/>; two fields may show one value, but not with two defaults.</summary>
    /// <exception cref="InvalidOperationException">The path is taken by another default, or nests under a value.</exception>
    public void Set(IReadOnlyList<string> path, object value)
    {
        var node = Root;
        foreach (var part in path.Take(path.Count - 1))
        {
            if (!node.TryGetValue(part, out var child))
            {
                child = new Dictionary<string, object>(StringComparer.Ordinal);
                node.Add(part, child);
            }

            node = child as Dictionary<string, object>
                ?? throw new InvalidOperationException($"The value '{string.Join('.', path)}' nests under '{part}', which is a value itself.");
        }

        if (node.TryGetValue(path[^1], out var existing) && Text(existing) != Text(value))
        {
            throw new InvalidOperationException($"The value '{string.Join('.', path)}' is declared twice, with {Text(existing)} and {Text(value)}.");
        }

        node[path[^1]] = value;
    }

    private static string Text(object value) => value switch
    {
        IDictionary map => "{" + string.Join(", ", map.Keys.Cast<object>().Select(k => $"{k}: {Text(map[k]!)}")) + "}",
        IEnumerable list and not string => "[" + string.Join(", ", list.Cast<object>().Select(Text)) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();
}
