using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Fluid.Aspire.Hosting.Kubernetes.Helm;

/// <summary>
/// The settings a published chart exposes as values, and the one way a typed Kubernetes model carries them.
/// </summary>
/// <remarks>
/// Objects are built once, from KubernetesClient's models, for two outputs. For the plain manifests every value is
/// its default. For the chart a typed field cannot hold <c>{{ .Values.… }}</c> (a replica count is an int), so it
/// holds a placeholder token instead: a string (<c>helm-value-0007</c>), an int (<c>1999000007</c>) or a map key or
/// list item (<c>helm-block-0007</c>). <see cref="Render"/> then replaces each token in the serialized YAML with its
/// Helm text: a scalar token (and the quotes around it) with <c>{{ expression | quote }}</c> or, for ints,
/// <c>{{ expression }}</c>; the line that holds a block token with <c>{{- toYaml expression | nindent N }}</c>.
/// No other code writes Helm syntax into the YAML.
/// </remarks>
internal sealed partial class ChartValues
{
    private const int FirstIntToken = 1_999_000_000;

    private readonly Dictionary<string, Placeholder> _placeholders = new(StringComparer.Ordinal);
    private readonly ValuesTree _tree = new();
    private readonly SortedDictionary<string, string> _templates = new(StringComparer.Ordinal);

    private ChartValues(bool templated)
    {
        IsTemplated = templated;
    }

    /// <summary>True for the chart: fields hold placeholders. False for the manifests: fields hold the defaults.</summary>
    public bool IsTemplated { get; }

    /// <summary>The values file: every declared value with its default, in the order declared.</summary>
    public IReadOnlyDictionary<string, object> Tree => _tree.Root;

    /// <summary>Values for building the chart's templates.</summary>
    public static ChartValues ForChart() => new(templated: true);

    /// <summary>Values for building the plain manifests: every field holds its default.</summary>
    public static ChartValues ForManifests() => new(templated: false);

    /// <summary>The Helm reference to a declared value, e.g. <c>.Values.parameters.fluid_etcd.replicas</c>.</summary>
    public static string Reference(string path) => ".Values." + path;

    /// <summary>
    /// Declares the value at <paramref name="path"/> (dot-separated under values.yaml) with its default, for use in
    /// a <see cref="Derived"/> expression; returns its Helm reference.
    /// </summary>
    public string Declare(string path, object defaultValue)
    {
        _tree.Set(path, defaultValue);
        return Reference(path);
    }

    /// <summary>Declares a string value and returns what a model field holds.</summary>
    public string String(string path, string defaultValue) => Scalar(Declare(path, defaultValue), defaultValue);

    /// <summary>Declares an int value and returns what a model field holds.</summary>
    public int Int(string path, int defaultValue) => DerivedInt($"{Declare(path, defaultValue)} | int", defaultValue);

    /// <summary>Declares a map value, such as a node selector; the chart writes it with <c>toYaml</c>.</summary>
    public Dictionary<string, string> Map(string path, IReadOnlyDictionary<string, string> defaultValue)
    {
        var reference = Declare(path, new SortedDictionary<string, object>(defaultValue.ToDictionary(p => p.Key, p => (object)p.Value), StringComparer.Ordinal));
        return IsTemplated
            ? new Dictionary<string, string>(StringComparer.Ordinal) { [BlockToken(reference)] = "" }
            : new Dictionary<string, string>(defaultValue, StringComparer.Ordinal);
    }

    /// <summary>Declares a list of tolerations; the chart writes it with <c>toYaml</c>.</summary>
    public List<V1Toleration> Tolerations(string path)
    {
        var reference = Declare(path, new List<object>());
        return IsTemplated ? [new V1Toleration { Key = BlockToken(reference) }] : [];
    }

    /// <summary>
    /// A string computed from declared values: <paramref name="expression"/> is a Helm pipeline that yields it (e.g.
    /// <c>printf "%s:%s" .Values.a .Values.b</c>) and <paramref name="rendered"/> the same computed from the defaults.
    /// </summary>
    public string Derived(string expression, string rendered) => Scalar(expression, rendered);

    /// <summary>An int computed from declared values, as <see cref="Derived"/>.</summary>
    public int DerivedInt(string expression, int rendered) => IsTemplated ? IntToken(expression) : rendered;

    /// <summary>Declares a quantity value, such as a volume size.</summary>
    public ResourceQuantity Quantity(string path, string defaultValue) => DerivedQuantity(Declare(path, defaultValue), defaultValue);

    /// <summary>
    /// Declares a string value for a field that is left out when the value is empty (a storage class: empty means the
    /// cluster's default, which only a missing field says). Returns null in the manifests when the default is empty.
    /// </summary>
    public string? Optional(string path, string defaultValue)
    {
        var reference = Declare(path, defaultValue);
        return IsTemplated ? Token("helm-block", new Placeholder(PlaceholderKind.Optional, reference))
            : defaultValue.Length == 0 ? null
            : defaultValue;
    }

    /// <summary>Adds a named template to the chart's <c>_helpers.tpl</c>, for expressions too long for one field.</summary>
    public void DefineTemplate(string name, string body)
    {
        if (_templates.TryGetValue(name, out var existing) && existing != body)
        {
            throw new InvalidOperationException($"The chart template '{name}' is defined twice, differently.");
        }

        _templates[name] = body;
    }

    /// <summary>The named templates for <c>_helpers.tpl</c>, by name.</summary>
    public IReadOnlyDictionary<string, string> Templates => _templates;

    /// <summary>A quantity computed from declared values, e.g. a memory limit from an arena size; as <see cref="Derived"/>.</summary>
    public ResourceQuantity DerivedQuantity(string expression, string rendered) =>
        new(IsTemplated ? IntToken(expression).ToString(CultureInfo.InvariantCulture) : rendered);

    /// <summary>Replaces every placeholder in <paramref name="yaml"/> with its Helm text.</summary>
    /// <exception cref="InvalidOperationException">The YAML holds a token that this instance did not issue.</exception>
    public string Render(string yaml)
    {
        if (!IsTemplated)
        {
            return yaml;
        }

        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (BlockPattern().Match(lines[i]) is { Success: true } block)
            {
                var indent = new string(' ', lines[i].Length - lines[i].TrimStart(' ').Length);
                var placeholder = Take(block.Groups["token"].Value);
                // A list item stands at its key's column; what replaces it must be deeper, or '[]' would be a sibling.
                var depth = indent.Length + (block.Groups["item"].Success ? 2 : 0);
                lines[i] = placeholder.Kind == PlaceholderKind.Optional
                    ? $"{indent}{{{{- with {placeholder.Expression} }}}}\n{indent}{block.Groups["key"].Value}: {{{{ . | quote }}}}\n{indent}{{{{- end }}}}"
                    : $"{indent}{{{{- toYaml {placeholder.Expression} | nindent {depth} }}}}";
                continue;
            }

            lines[i] = ScalarPattern().Replace(lines[i], match =>
            {
                var placeholder = Take(match.Groups["token"].Value);
                return placeholder.Kind == PlaceholderKind.Int
                    ? $"{{{{ {placeholder.Expression} }}}}"
                    : $"{{{{ {placeholder.Expression} | quote }}}}";
            });
        }

        return string.Join('\n', lines);
    }

    /// <summary>Checks that every placeholder issued has been rendered, so that no model field kept a token.</summary>
    /// <exception cref="InvalidOperationException">Some placeholder never reached <see cref="Render"/>.</exception>
    public void EnsureAllRendered()
    {
        var missing = _placeholders.Where(p => !p.Value.Rendered).Select(p => $"{p.Key} ({p.Value.Expression})").ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"Chart values were issued but never written to a template: {string.Join(", ", missing)}. A customization " +
                "callback may have replaced the field that held them.");
        }
    }

    private Placeholder Take(string token)
    {
        if (!_placeholders.TryGetValue(token, out var placeholder))
        {
            throw new InvalidOperationException($"The YAML holds '{token}', which no value of this chart issued.");
        }

        placeholder.Rendered = true;
        return placeholder;
    }

    private string Scalar(string expression, string rendered) =>
        IsTemplated ? Token("helm-value", new Placeholder(PlaceholderKind.String, expression)) : rendered;

    private int IntToken(string expression) =>
        int.Parse(Token("", new Placeholder(PlaceholderKind.Int, expression)), CultureInfo.InvariantCulture);

    private string BlockToken(string expression) => Token("helm-block", new Placeholder(PlaceholderKind.Block, expression));

    // Tokens are numbered in the order issued, so that building the same objects twice issues the same tokens.
    private string Token(string prefix, Placeholder placeholder)
    {
        var token = prefix.Length == 0
            ? (FirstIntToken + _placeholders.Count).ToString(CultureInfo.InvariantCulture)
            : $"{prefix}-{_placeholders.Count:D4}";
        _placeholders.Add(token, placeholder);
        return token;
    }

    // A scalar token, with the quotes the serializer may have put around it.
    [GeneratedRegex("""(?<q>['"]?)\b(?<token>helm-value-\d{4}|1999\d{6})\b\k<q>""")]
    private static partial Regex ScalarPattern();

    // The line of a map key or list item that stands for a whole block.
    [GeneratedRegex("""^ *(?<item>- )?((?<key>[A-Za-z]+): )?['"]?(?<token>helm-block-\d{4})['"]?(: ['"]{0,2})?\s*$""")]
    private static partial Regex BlockPattern();

    private enum PlaceholderKind
    {
        String,
        Int,
        Block,
        Optional,
    }

    private sealed class Placeholder(PlaceholderKind kind, string expression)
    {
        public PlaceholderKind Kind { get; } = kind;

        public string Expression { get; } = expression;

        public bool Rendered { get; set; }
    }

    /// <summary>Nested maps in declaration order, for values.yaml.</summary>
    private sealed class ValuesTree
    {
        public Dictionary<string, object> Root { get; } = new(StringComparer.Ordinal);

        public void Set(string path, object value)
        {
            var parts = path.Split('.');
            var node = Root;
            foreach (var part in parts[..^1])
            {
                if (!node.TryGetValue(part, out var child))
                {
                    child = new Dictionary<string, object>(StringComparer.Ordinal);
                    node.Add(part, child);
                }

                node = child as Dictionary<string, object>
                    ?? throw new InvalidOperationException($"The value '{path}' nests under '{part}', which is a value itself.");
            }

            // Two fields may show one value (a tag on two containers), but not with two defaults.
            if (node.TryGetValue(parts[^1], out var existing) && Text(existing) != Text(value))
            {
                throw new InvalidOperationException($"The value '{path}' is declared twice, with {Text(existing)} and {Text(value)}.");
            }

            node[parts[^1]] = value;
        }

        private static string Text(object value) => value switch
        {
            System.Collections.IDictionary map => "{" + string.Join(", ", map.Keys.Cast<object>().Select(k => $"{k}: {Text(map[k]!)}")) + "}",
            System.Collections.IEnumerable list and not string => "[" + string.Join(", ", list.Cast<object>().Select(Text)) + "]",
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
        };
    }
}
