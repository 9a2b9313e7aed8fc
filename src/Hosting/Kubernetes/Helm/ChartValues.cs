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
/// holds a placeholder token instead: a string (<c>helm-value-0007</c>), a number (<c>1999000071</c>: odd and not a
/// multiple of five, so that no quantity suffix can shorten it) or a map key or list item (<c>helm-block-0007</c>).
/// <see cref="Render"/> replaces each token in the serialized YAML with its Helm text: a whole scalar (with the quotes
/// around it) with <c>{{ expression | quote }}</c>, or <c>{{ expression }}</c> for ints; the line that holds a block
/// token with <c>{{- toYaml expression | nindent N }}</c>. No other code writes Helm syntax into the YAML.
/// </remarks>
internal sealed partial class ChartValues
{
    private const long FirstNumberToken = 1_999_000_001;

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

    /// <summary>The named templates for <c>_helpers.tpl</c>, by name.</summary>
    public IReadOnlyDictionary<string, string> Templates => _templates;

    /// <summary>Values for building the chart's templates.</summary>
    public static ChartValues ForChart() => new(templated: true);

    /// <summary>Values for building the plain manifests: every field holds its default.</summary>
    public static ChartValues ForManifests() => new(templated: false);

    /// <summary>
    /// Declares the value at <paramref name="path"/> (its keys under values.yaml, e.g. <c>parameters</c>,
    /// <c>fluid_etcd</c>, <c>replicas</c>) with its default, for use in a <see cref="Derived"/> expression; returns
    /// its Helm reference.
    /// </summary>
    public string Declare(IReadOnlyList<string> path, object defaultValue)
    {
        _tree.Set(path, defaultValue);
        return ValuesTree.Reference(path);
    }

    /// <summary>Declares a string value and returns what a model field holds.</summary>
    public string String(IReadOnlyList<string> path, string defaultValue) => Derived(Declare(path, defaultValue), defaultValue);

    /// <summary>
    /// Declares a string value that must be given at install time (a secret): the chart refuses to render without it,
    /// naming the value; the manifests hold <paramref name="placeholder"/> for the user to replace.
    /// </summary>
    public string Required(IReadOnlyList<string> path, string placeholder)
    {
        var reference = Declare(path, "");
        return Derived($"required \"set {string.Join('.', path)} in your values\" {reference}", placeholder);
    }

    /// <summary>Declares an int value and returns what a model field holds.</summary>
    public int Int(IReadOnlyList<string> path, int defaultValue) => DerivedInt($"{Declare(path, defaultValue)} | int", defaultValue);

    /// <summary>Declares a quantity value, such as a volume size or a memory limit.</summary>
    public ResourceQuantity Quantity(IReadOnlyList<string> path, string defaultValue) => DerivedQuantity(Declare(path, defaultValue), defaultValue);

    /// <summary>Declares a map value, such as a node selector; the chart writes it with <c>toYaml</c>.</summary>
    public Dictionary<string, string> Map(IReadOnlyList<string> path, IReadOnlyDictionary<string, string> defaultValue)
    {
        var reference = Declare(path, new SortedDictionary<string, object>(defaultValue.ToDictionary(p => p.Key, p => (object)p.Value), StringComparer.Ordinal));
        return IsTemplated
            ? new Dictionary<string, string>(StringComparer.Ordinal) { [Token(PlaceholderKind.Block, reference)] = "" }
            : new Dictionary<string, string>(defaultValue, StringComparer.Ordinal);
    }

    /// <summary>Declares a list of tolerations; the chart writes it with <c>toYaml</c>.</summary>
    public List<V1Toleration> Tolerations(IReadOnlyList<string> path)
    {
        var reference = Declare(path, new List<object>());
        return IsTemplated ? [new V1Toleration { Key = Token(PlaceholderKind.Block, reference) }] : [];
    }

    /// <summary>
    /// Declares a string value for a field that is left out when the value is empty (a storage class: empty means the
    /// cluster's default, which only a missing field says). Null in the manifests when the default is empty.
    /// </summary>
    public string? Optional(IReadOnlyList<string> path, string defaultValue)
    {
        var reference = Declare(path, defaultValue);
        return IsTemplated ? Token(PlaceholderKind.Optional, reference) : defaultValue.Length == 0 ? null : defaultValue;
    }

    /// <summary>
    /// A string computed from declared values: <paramref name="expression"/> is a Helm pipeline that yields it (e.g.
    /// <c>printf "%v:%v" .Values.a .Values.b</c>) and <paramref name="rendered"/> the same computed from the defaults.
    /// </summary>
    public string Derived(string expression, string rendered) => IsTemplated ? Token(PlaceholderKind.String, expression) : rendered;

    /// <summary>An int computed from declared values, as <see cref="Derived"/>.</summary>
    public int DerivedInt(string expression, int rendered) =>
        IsTemplated ? int.Parse(Token(PlaceholderKind.Int, expression), CultureInfo.InvariantCulture) : rendered;

    /// <summary>A quantity computed from declared values, e.g. a memory limit from an arena size; as <see cref="Derived"/>.</summary>
    public ResourceQuantity DerivedQuantity(string expression, string rendered) =>
        new(IsTemplated ? Token(PlaceholderKind.Quantity, expression) : rendered);

    /// <summary>Adds a named template to the chart's <c>_helpers.tpl</c>, for expressions too long for one field.</summary>
    public void DefineTemplate(string name, string body)
    {
        if (_templates.TryGetValue(name, out var existing) && existing != body)
        {
            throw new InvalidOperationException($"The chart template '{name}' is defined twice, differently.");
        }

        _templates[name] = body;
    }

    /// <summary>True when <paramref name="text"/> is a block placeholder: the entry that stands for a whole map or list.</summary>
    public static bool IsBlock(string? text) => text is not null && text.StartsWith("helm-block-", StringComparison.Ordinal);

    /// <summary>Replaces every placeholder in <paramref name="yaml"/> with its Helm text.</summary>
    /// <exception cref="InvalidOperationException">
    /// The YAML holds a token this instance did not issue, or a token inside a longer string, where no Helm text can
    /// stand for it.
    /// </exception>
    public string Render(string yaml)
    {
        if (!IsTemplated)
        {
            return yaml;
        }

        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = new string(' ', lines[i].Length - lines[i].TrimStart(' ').Length);
            if (BlockPattern().Match(lines[i]) is { Success: true } block)
            {
                var placeholder = Take(block.Groups["token"].Value);
                // A list item stands at its key's column; what replaces it must be deeper, or '[]' would be a sibling.
                var depth = indent.Length + (block.Groups["item"].Success ? 2 : 0);
                lines[i] = placeholder.Kind == PlaceholderKind.Optional
                    ? $"{indent}{{{{- with {placeholder.Expression} }}}}\n{indent}{block.Groups["key"].Value}: {{{{ . | quote }}}}\n{indent}{{{{- end }}}}"
                    : $"{indent}{{{{- toYaml {placeholder.Expression} | nindent {depth} }}}}";
            }
            else if (ScalarPattern().Match(lines[i]) is { Success: true } scalar)
            {
                var placeholder = Take(scalar.Groups["token"].Value);
                lines[i] = lines[i][..scalar.Index] + scalar.Groups["lead"].Value + (placeholder.Kind == PlaceholderKind.Int
                    ? $"{{{{ {placeholder.Expression} }}}}"
                    : $"{{{{ {placeholder.Expression} | quote }}}}");
            }

            if (AnyToken().Match(lines[i]) is { Success: true } stray && _placeholders.TryGetValue(stray.Value, out var lost))
            {
                throw new InvalidOperationException(
                    $"The chart value {lost.Expression} ended up inside a longer string ('{lines[i].Trim()}'); " +
                    "build the whole string with ChartValues.Derived instead.");
            }
        }

        return string.Join('\n', lines);
    }

    private Placeholder Take(string token) =>
        _placeholders.TryGetValue(token, out var placeholder)
            ? placeholder
            : throw new InvalidOperationException($"The YAML holds '{token}', which no value of this chart issued.");

    // Tokens are numbered in the order issued, so that building the same objects twice issues the same tokens.
    private string Token(PlaceholderKind kind, string expression)
    {
        var token = kind switch
        {
            PlaceholderKind.Int or PlaceholderKind.Quantity => (FirstNumberToken + (10L * _placeholders.Count)).ToString(CultureInfo.InvariantCulture),
            PlaceholderKind.String => $"helm-value-{_placeholders.Count:D4}",
            _ => $"helm-block-{_placeholders.Count:D4}",
        };
        _placeholders.Add(token, new Placeholder(kind, expression));
        return token;
    }

    // A token that is a whole scalar: after a key or a list dash, with the quotes the serializer may have added.
    [GeneratedRegex("""(?<lead>(: |- ))(?<q>['"]?)(?<token>helm-value-\d{4}|1999\d{6})\k<q>\s*$""")]
    private static partial Regex ScalarPattern();

    // The line of a map key or list item that stands for a whole block, or of a field left out when empty.
    [GeneratedRegex("""^ *(?<item>- )?((?<key>[A-Za-z]+): )?['"]?(?<token>helm-block-\d{4})['"]?(: ['"]{0,2})?\s*$""")]
    private static partial Regex BlockPattern();

    [GeneratedRegex("""helm-(value|block)-\d{4}|1999\d{6}""")]
    private static partial Regex AnyToken();

    private enum PlaceholderKind
    {
        String,
        Int,
        Quantity,
        Block,
        Optional,
    }

    private sealed record Placeholder(PlaceholderKind Kind, string Expression);
}
