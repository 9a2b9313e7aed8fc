using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Cronos;
using k8s.Models;

namespace Fluid.Aspire.Contracts.Validation;

/// <summary>
/// A declarative rule on a property: <see cref="Check"/> is what <see cref="ResourceValidator"/> runs, and
/// <see cref="ApplyTo"/> is the same rule in a CRD schema (OpenAPI keywords, or a CEL rule), so that the one table of
/// attributes drives both.
/// </summary>
/// <remarks>
/// A rule only checks a value that is present; that a value must be present is <see cref="RequiredAttribute"/>'s
/// rule. A rule for strings on a list of strings applies to each item.
/// </remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public abstract class FieldRuleAttribute : Attribute
{
    /// <summary>A good value, quoted in error messages; each rule has a sensible default.</summary>
    public string? Example { get; set; }

    /// <summary>What is wrong with <paramref name="value"/> (a present value), or null when it is fine.</summary>
    public abstract string? Check(object value);

    /// <summary>
    /// Says this rule in the CRD schema <paramref name="node"/> of the property it is on (for a list of strings, of its
    /// items), whose .NET type is <paramref name="type"/>, and tells where a cluster checks it.
    /// </summary>
    public abstract SchemaForm ApplyTo(V1JSONSchemaProps node, Type type);

    /// <summary>Reports problems of a present value at <paramref name="path"/>; lists of strings are checked item by item.</summary>
    internal virtual void Apply(object value, string path, List<FieldError> errors)
    {
        if (value is IList list && value.GetType().IsGenericType && value.GetType().GetGenericArguments()[0] == typeof(string))
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is string item && Check(item) is { } itemProblem)
                {
                    errors.Add(new FieldError(FieldPath.Index(path, i), itemProblem));
                }
            }

            return;
        }

        if (Check(value) is { } problem)
        {
            errors.Add(new FieldError(path, problem));
        }
    }

    /// <summary><c>; e.g. X</c> with the configured or the default example.</summary>
    private protected string ForExample(string fallback) => $"e.g. {Example ?? fallback}";
}

/// <summary>
/// The value must be present: not null, not an empty string, not an empty list or map. Kubernetes does not tell an
/// empty value from a missing one, and neither do we.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class RequiredAttribute : Attribute
{
    /// <summary>A good value, quoted in the error message.</summary>
    public string? Example { get; set; }

    /// <summary>True when <paramref name="value"/> counts as absent.</summary>
    public static bool IsMissing(object? value) => value switch
    {
        null => true,
        string text => text.Length == 0,
        ICollection collection => collection.Count == 0,
        _ => false,
    };

    /// <summary>
    /// Says the rule in the schema of the object <paramref name="parent"/>: <paramref name="jsonName"/> is listed in
    /// <c>required</c>, and, since an empty value counts as missing, its node gets minLength, minItems or minProperties 1.
    /// </summary>
    public static SchemaForm ApplyTo(V1JSONSchemaProps parent, string jsonName)
    {
        ArgumentNullException.ThrowIfNull(parent);
        parent.Required ??= [];
        parent.Required.Add(jsonName);
        var node = parent.Properties[jsonName];
        if (node.Type == "string" && node.EnumProperty is null)
        {
            node.MinLength = 1;
            return SchemaForm.Keywords("required, minLength 1");
        }

        if (node.Type == "array")
        {
            node.MinItems = 1;
            return SchemaForm.Keywords("required, minItems 1");
        }

        if (node.Type == "object" && node.AdditionalProperties is not null)
        {
            node.MinProperties = 1;
            return SchemaForm.Keywords("required, minProperties 1");
        }

        return SchemaForm.Keywords("required");
    }

    /// <summary>The message for a missing value of <paramref name="type"/>.</summary>
    internal string Message(Type type)
    {
        var enumType = Nullable.GetUnderlyingType(type) ?? type;
        if (enumType.IsEnum)
        {
            return $"is required; use one of {string.Join(", ", Serialization.EnumNames.All(enumType))}.";
        }

        return Example is null ? "is required." : $"is required; e.g. {Example}.";
    }
}

/// <summary>A DNS-1123 label: at most 63 characters of <c>[a-z0-9-]</c>, starting and ending with a letter or digit.</summary>
public sealed class DnsLabelAttribute : FieldRuleAttribute
{
    /// <inheritdoc />
    public override string? Check(object value) => Formats.DnsLabel((string)value, Example ?? "my-data");

    /// <inheritdoc />
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        SchemaKeywords.LimitLength(node, Formats.DnsLabelMaxLength);
        SchemaKeywords.AddPattern(node, Formats.DnsLabelPattern);
        return SchemaForm.Keywords($"maxLength {Formats.DnsLabelMaxLength}, pattern");
    }
}

/// <summary>A DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels.</summary>
public sealed class DnsSubdomainAttribute : FieldRuleAttribute
{
    /// <inheritdoc />
    public override string? Check(object value) => Formats.DnsSubdomain((string)value, Example ?? "my-data.v1");

    /// <inheritdoc />
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        SchemaKeywords.LimitLength(node, Formats.DnsSubdomainMaxLength);
        SchemaKeywords.AddPattern(node, Formats.DnsSubdomainPattern);
        return SchemaForm.Keywords($"maxLength {Formats.DnsSubdomainMaxLength}, pattern");
    }
}

/// <summary>A qualified name, as label and annotation keys: an optional DNS subdomain and <c>/</c>, then at most 63 characters.</summary>
public sealed class QualifiedNameAttribute : FieldRuleAttribute
{
    /// <inheritdoc />
    public override string? Check(object value) => Formats.QualifiedName((string)value, Example ?? "example.com/my-key");

    /// <inheritdoc />
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        SchemaKeywords.LimitLength(node, Formats.QualifiedNameWithPrefixMaxLength);
        SchemaKeywords.AddPattern(node, Formats.QualifiedNameWithPrefixPattern);
        return SchemaForm.Keywords(
            $"maxLength {Formats.QualifiedNameWithPrefixMaxLength}, pattern (a prefix over {Formats.DnsSubdomainMaxLength} characters: local-only)");
    }
}

/// <summary>A map of labels: keys are qualified names, values are label values.</summary>
public sealed class LabelsAttribute : FieldRuleAttribute
{
    /// <inheritdoc />
    public override string? Check(object value) => null;

    /// <inheritdoc />
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        ArgumentNullException.ThrowIfNull(node);
        var values = (V1JSONSchemaProps)node.AdditionalProperties;
        SchemaKeywords.LimitLength(values, Formats.QualifiedNameMaxLength);
        SchemaKeywords.AddPattern(values, Formats.LabelValuePattern);
        return SchemaForm.Keywords(
            $"values: maxLength {Formats.QualifiedNameMaxLength}, pattern; keys: local-only (a structural schema cannot constrain map keys, and CEL over an unbounded map exceeds its cost budget)");
    }

    internal override void Apply(object value, string path, List<FieldError> errors)
    {
        foreach (var (key, text) in (IDictionary<string, string>)value)
        {
            if ((Formats.QualifiedName(key, "app.kubernetes.io/part-of") ?? Formats.LabelValue(text ?? "")) is { } problem)
            {
                errors.Add(new FieldError(FieldPath.Key(path, key), problem));
            }
        }
    }
}

/// <summary>A map of annotations: keys are qualified names, and all of it fits in 256 KiB.</summary>
public sealed class AnnotationsAttribute : FieldRuleAttribute
{
    /// <inheritdoc />
    public override string? Check(object value)
    {
        var bytes = ((IDictionary<string, string>)value).Sum(pair => Encoding.UTF8.GetByteCount(pair.Key) + Encoding.UTF8.GetByteCount(pair.Value ?? ""));
        return bytes > Formats.AnnotationsMaxBytes
            ? $"the annotations take {bytes} bytes, more than the {Formats.AnnotationsMaxBytes} allowed; keep large data in an object or a ConfigMap and annotate a reference to it."
            : null;
    }

    /// <inheritdoc />
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type) =>
        SchemaForm.LocalOnly("no schema keyword constrains map keys or a map's total size");

    internal override void Apply(object value, string path, List<FieldError> errors)
    {
        foreach (var key in ((IDictionary<string, string>)value).Keys)
        {
            if (Formats.QualifiedName(key, "example.com/owner") is { } problem)
            {
                errors.Add(new FieldError(FieldPath.Key(path, key), problem));
            }
        }

        base.Apply(value, path, errors);
    }
}

/// <summary>A Kubernetes quantity such as <c>2Gi</c> (KubernetesClient's <see cref="ResourceQuantity"/>): not negative, and above zero when <see cref="Positive"/>.</summary>
public sealed class QuantityAttribute : FieldRuleAttribute
{
    /// <summary>True when zero is not allowed either.</summary>
    public bool Positive { get; set; }

    /// <inheritdoc />
    public override string? Check(object value)
    {
        // In a resource the value was read as a quantity already (QuantityConverter names text that is not one); the
        // text form is the rule as the schema's pattern states it.
        ResourceQuantity? quantity = value as ResourceQuantity;
        if (quantity is null && !Quantity.TryParse((string)value, out quantity, out var error))
        {
            return error;
        }

        var amount = quantity.ToDecimal();
        return amount < 0 || (Positive && amount == 0)
            ? $"'{value}' must be {(Positive ? "greater than zero" : "zero or more")}; {ForExample("2Gi")}."
            : null;
    }

    /// <summary>
    /// Kubernetes' form of a quantity: an integer or a string, the string in the syntax <see cref="Contracts.Quantity"/>
    /// reads, without a sign since it may not be negative.
    /// </summary>
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.Type = null;
        node.XKubernetesIntOrString = true;
        SchemaKeywords.AddPattern(node, Contracts.Quantity.NonNegativePattern);
        node.Minimum = 0;
        node.ExclusiveMinimum = Positive ? true : null;
        return SchemaForm.Keywords(Positive
            ? "x-kubernetes-int-or-string, pattern, exclusiveMinimum 0 (a zero written as a string, such as 0Gi: local-only)"
            : "x-kubernetes-int-or-string, pattern, minimum 0");
    }
}

/// <summary>A number, or a string holding a number, between <see cref="Minimum"/> and <see cref="Maximum"/> inclusive.</summary>
public sealed class RangeAttribute : FieldRuleAttribute
{
    /// <summary>A range with an upper bound.</summary>
    public RangeAttribute(double minimum, double maximum)
    {
        Minimum = minimum;
        Maximum = maximum;
    }

    /// <summary>A lower bound only.</summary>
    public RangeAttribute(double minimum)
        : this(minimum, double.PositiveInfinity)
    {
    }

    /// <summary>The smallest allowed value.</summary>
    public double Minimum { get; }

    /// <summary>The largest allowed value; infinity when there is none.</summary>
    public double Maximum { get; }

    /// <inheritdoc />
    public override string? Check(object value)
    {
        double number;
        if (value is string text)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number) || !double.IsFinite(number))
            {
                return $"'{text}' is not a number; {ForExample(Minimum.ToString(CultureInfo.InvariantCulture))}.";
            }
        }
        else
        {
            number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        }

        if (number >= Minimum && number <= Maximum)
        {
            return null;
        }

        var got = Convert.ToString(value, CultureInfo.InvariantCulture);
        return double.IsPositiveInfinity(Maximum)
            ? string.Create(CultureInfo.InvariantCulture, $"must be at least {Minimum} (got {got}); {ForExample(Minimum.ToString(CultureInfo.InvariantCulture))}.")
            : string.Create(CultureInfo.InvariantCulture, $"must be between {Minimum} and {Maximum} (got {got}); {ForExample(Maximum.ToString(CultureInfo.InvariantCulture))}.");
    }

    /// <summary>
    /// minimum and maximum on a number; on a string holding a number (which a structural schema cannot type as
    /// number-or-string), a CEL rule that reads it as a double.
    /// </summary>
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        ArgumentNullException.ThrowIfNull(node);
        var bounded = !double.IsPositiveInfinity(Maximum);
        if (node.Type == "string")
        {
            var rule = bounded
                ? string.Create(CultureInfo.InvariantCulture, $"double(self) >= {Minimum:0.0###} && double(self) <= {Maximum:0.0###}")
                : string.Create(CultureInfo.InvariantCulture, $"double(self) >= {Minimum:0.0###}");
            var message = bounded
                ? string.Create(CultureInfo.InvariantCulture, $"must be a number between {Minimum} and {Maximum}, written as a string; e.g. \"{Example ?? Maximum.ToString(CultureInfo.InvariantCulture)}\"")
                : string.Create(CultureInfo.InvariantCulture, $"must be a number of at least {Minimum}, written as a string; e.g. \"{Example ?? Minimum.ToString(CultureInfo.InvariantCulture)}\"");
            return SchemaForm.Cel(node, rule, message);
        }

        node.Minimum = Minimum;
        node.Maximum = bounded ? Maximum : null;
        return SchemaForm.Keywords(bounded
            ? string.Create(CultureInfo.InvariantCulture, $"minimum {Minimum}, maximum {Maximum}")
            : string.Create(CultureInfo.InvariantCulture, $"minimum {Minimum}"));
    }
}

/// <summary>A string matching a regular expression; <see cref="Description"/> names the rule in messages.</summary>
public sealed class PatternAttribute : FieldRuleAttribute
{
    private readonly Regex _regex;

    /// <summary>A pattern, anchored by the caller (<c>^…$</c>), and what it means for people.</summary>
    public PatternAttribute(string pattern, string description)
    {
        Pattern = pattern;
        Description = description;
        _regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    /// <summary>The regular expression (ECMAScript-compatible, as OpenAPI wants).</summary>
    public string Pattern { get; }

    /// <summary>What the pattern means, e.g. <c>a CamelCase word</c>.</summary>
    public string Description { get; }

    /// <inheritdoc />
    public override string? Check(object value) =>
        _regex.IsMatch((string)value) ? null : $"'{value}' is not {Description}; {ForExample("see the field's description")}.";

    /// <inheritdoc />
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        SchemaKeywords.AddPattern(node, Pattern);
        return SchemaForm.Keywords("pattern");
    }
}

/// <summary>One of a fixed set of strings, as Kubernetes' string enums (a node selector's operator) are.</summary>
public sealed class AllowedValuesAttribute(params string[] values) : FieldRuleAttribute
{
    /// <summary>The values allowed, case-sensitive.</summary>
    public IReadOnlyList<string> Values { get; } = values;

    /// <inheritdoc />
    public override string? Check(object value) =>
        Values.Contains((string)value, StringComparer.Ordinal) ? null : $"'{value}' is not one of {string.Join(", ", Values)} (case matters).";

    /// <inheritdoc />
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.EnumProperty = [.. Values];
        return SchemaForm.Keywords("enum");
    }
}

/// <summary>A URI whose scheme is one of <see cref="Schemes"/>; each scheme's own rules are checked by <see cref="ResourceValidator"/>.</summary>
public sealed class SchemeAttribute : FieldRuleAttribute
{
    /// <summary>The allowed schemes, without <c>://</c>.</summary>
    public SchemeAttribute(params string[] schemes)
    {
        Schemes = schemes;
    }

    /// <summary>The allowed schemes, without <c>://</c>.</summary>
    public IReadOnlyList<string> Schemes { get; }

    /// <inheritdoc />
    public override string? Check(object value)
    {
        var text = (string)value;
        return Schemes.Any(scheme => text.StartsWith(scheme + "://", StringComparison.Ordinal))
            ? null
            : $"'{text}' does not start with a supported scheme; use one of {string.Join(", ", Schemes.Select(s => s + "://"))}; {ForExample("s3://bucket/path")}.";
    }

    /// <inheritdoc />
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        SchemaKeywords.AddPattern(node, $"^({string.Join('|', Schemes.Select(Regex.Escape))})://");
        return SchemaForm.Keywords("pattern");
    }
}

/// <summary>An absolute path: it starts with <c>/</c>.</summary>
public sealed class AbsolutePathAttribute : FieldRuleAttribute
{
    /// <inheritdoc />
    public override string? Check(object value) =>
        ((string)value).StartsWith('/') ? null : $"'{value}' is not an absolute path; start it with '/', {ForExample("/data")}.";

    /// <inheritdoc />
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        SchemaKeywords.AddPattern(node, "^/");
        return SchemaForm.Keywords("pattern");
    }
}

/// <summary>A relative path that stays inside its root: no leading <c>/</c> and no <c>..</c> part.</summary>
public sealed class RelativePathAttribute : FieldRuleAttribute
{
    /// <inheritdoc />
    public override string? Check(object value)
    {
        var text = (string)value;
        return text.StartsWith('/') || text.Split('/').Contains("..")
            ? $"'{text}' must be a relative path that stays inside the dataset (no leading '/', no '..'); {ForExample("raw/2025")}."
            : null;
    }

    /// <summary>
    /// Without look-ahead (RE2 has none) "no part is <c>..</c>" is spelled out: each part is <c>.</c>, or starts
    /// with <c>..</c> and goes on, or is any other text without a slash; only the first part may not be empty.
    /// </summary>
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        const string Part = @"(\.|\.\.[^/]+|\.?[^/.][^/]*)";
        SchemaKeywords.AddPattern(node, $"^{Part}(/{Part}?)*$");
        return SchemaForm.Keywords("pattern");
    }
}

/// <summary>A cron schedule: five fields (minute hour day-of-month month day-of-week) or a macro such as <c>@hourly</c>.</summary>
public sealed class CronAttribute : FieldRuleAttribute
{
    /// <inheritdoc />
    public override string? Check(object value)
    {
        try
        {
            _ = CronExpression.Parse((string)value, CronFormat.Standard);
            return null;
        }
        catch (CronFormatException e)
        {
            // Cronos prefixes every reason with the same sentence; the reason after it is what helps.
            var reason = e.Message.Replace("The given cron expression has an invalid format. ", "", StringComparison.Ordinal).TrimEnd('.');
            return $"'{value}' is not a cron schedule ({reason}); write five fields, minute hour day-of-month month day-of-week, " +
                $"or a macro such as @hourly; {ForExample("*/10 * * * *")}.";
        }
    }

    /// <inheritdoc />
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type) =>
        SchemaForm.LocalOnly("neither OpenAPI nor CEL can parse a cron expression");
}

/// <summary>An object-store object name: 1 to 253 characters, no spaces, not shaped like an object id.</summary>
public sealed class ObjectNameAttribute : FieldRuleAttribute
{
    /// <inheritdoc />
    public override string? Check(object value) => Formats.ObjectName((string)value);

    /// <inheritdoc />
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.MinLength = 1;
        SchemaKeywords.LimitLength(node, Formats.ObjectNameMaxLength);
        SchemaKeywords.AddPattern(node, Formats.ObjectNamePattern);
        return SchemaForm.Keywords(
            $"minLength 1, maxLength {Formats.ObjectNameMaxLength}, pattern (not shaped like an object id: local-only, it needs a look-ahead RE2 lacks)");
    }
}

/// <summary>
/// In a list of objects, the property <see cref="Key"/> (a .NET property name) has a different value in each item,
/// as a Kubernetes list-map (<c>x-kubernetes-list-map-keys</c>). Items without the key are not compared.
/// </summary>
public sealed class UniqueAttribute : FieldRuleAttribute
{
    /// <summary>The .NET name of the key property, e.g. <c>nameof(Mount.Name)</c>.</summary>
    public UniqueAttribute(string key)
    {
        Key = key;
    }

    /// <summary>The .NET name of the key property.</summary>
    public string Key { get; }

    /// <inheritdoc />
    public override string? Check(object value) => null;

    /// <summary>
    /// A Kubernetes list-map when every item must have the key (the API server wants list-map keys required); a
    /// list keyed by an enum then holds at most one item per member. An optional key stays local: comparing every
    /// pair of an unbounded list exceeds CEL's cost budget.
    /// </summary>
    public override SchemaForm ApplyTo(V1JSONSchemaProps node, Type type)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(type);
        var itemType = type.GetGenericArguments()[0];
        var key = ResourceValidator.JsonNameOf(itemType, Key);
        var items = (V1JSONSchemaProps)node.Items;
        if (items.Required?.Contains(key) != true)
        {
            return SchemaForm.LocalOnly($"{key} is optional, so the list cannot be a list-map, and comparing every pair of an unbounded list exceeds CEL's cost budget");
        }

        node.XKubernetesListType = "map";
        node.XKubernetesListMapKeys = [key];
        if (items.Properties[key].EnumProperty is { } members)
        {
            node.MaxItems = members.Count;
        }

        return new SchemaForm(Enforcement.SchemaExtension, $"x-kubernetes-list-type: map, x-kubernetes-list-map-keys: [{key}]");
    }

    internal override void Apply(object value, string path, List<FieldError> errors)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var items = (IList)value;
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not { } item)
            {
                continue;
            }

            var (jsonName, keyValue) = ResourceValidator.ReadProperty(item, Key);
            var text = keyValue is Enum member ? Serialization.EnumNames.Of(member) : keyValue as string;
            if (string.IsNullOrEmpty(text))
            {
                continue;
            }

            if (!seen.TryAdd(text, i))
            {
                errors.Add(new FieldError(FieldPath.Child(FieldPath.Index(path, i), jsonName),
                    $"'{text}' is also the {jsonName} of item {seen[text]}; each item needs its own {jsonName}."));
            }
        }
    }
}

/// <summary>
/// Exactly one of the named properties (by their .NET names) is set: OpenAPI's <c>oneOf</c> of <c>required</c>
/// alternatives, the usual CRD form of a union.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class OneOfAttribute : Attribute
{
    /// <summary>The .NET names of the alternatives.</summary>
    public OneOfAttribute(params string[] properties)
    {
        Properties = properties;
    }

    /// <summary>The .NET names of the alternatives.</summary>
    public IReadOnlyList<string> Properties { get; }

    /// <summary>A good value, quoted in the error message.</summary>
    public string? Example { get; set; }

    /// <summary>
    /// A CEL rule on the object's schema <paramref name="node"/>, whose alternatives are called
    /// <paramref name="jsonNames"/> in JSON: exactly one is present.
    /// </summary>
    public SchemaForm ApplyTo(V1JSONSchemaProps node, IReadOnlyList<string> jsonNames)
    {
        ArgumentNullException.ThrowIfNull(jsonNames);
        var example = Example is null ? "" : $"; e.g. {Example}";
        return SchemaForm.Cel(node,
            $"[{string.Join(", ", jsonNames.Select(name => $"has(self.{name})"))}].exists_one(present, present)",
            $"set exactly one of {string.Join(", ", jsonNames)}{example}");
    }
}
