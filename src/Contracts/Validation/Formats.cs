using System.Text.RegularExpressions;

namespace Fluid.Aspire.Contracts.Validation;

/// <summary>
/// Kubernetes' name formats, with the limits of its <c>validation</c> package. Each check returns what is wrong
/// (naming the rule and showing a good value) or null when the text is fine.
/// </summary>
public static partial class Formats
{
    /// <summary>The longest DNS-1123 label.</summary>
    public const int DnsLabelMaxLength = 63;

    /// <summary>The longest DNS-1123 subdomain.</summary>
    public const int DnsSubdomainMaxLength = 253;

    /// <summary>The longest name part of a qualified name (after the optional <c>prefix/</c>), and the longest label value.</summary>
    public const int QualifiedNameMaxLength = 63;

    /// <summary>The most bytes all annotations of an object may take, keys and values together.</summary>
    public const int AnnotationsMaxBytes = 256 * 1024;

    /// <summary>The longest object-store object name (it becomes an etcd key).</summary>
    public const int ObjectNameMaxLength = 253;

    // The patterns are ECMA-262 and RE2 alike (no look-around, [0-9] for digits), so that a CRD schema can carry them.

    /// <summary>A DNS-1123 label, without its length limit.</summary>
    public const string DnsLabelPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

    /// <summary>A DNS-1123 subdomain, without its length limit.</summary>
    public const string DnsSubdomainPattern = @"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    /// <summary>The name part of a qualified name (and a non-empty label value), without its length limit.</summary>
    public const string QualifiedNamePattern = "^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$";

    /// <summary>A whole qualified name, with the name part's length limit: an optional DNS subdomain and <c>/</c>, then the name.</summary>
    public const string QualifiedNameWithPrefixPattern = @"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$";

    /// <summary>The longest qualified name: a subdomain prefix, <c>/</c>, and a name.</summary>
    public const int QualifiedNameWithPrefixMaxLength = DnsSubdomainMaxLength + 1 + QualifiedNameMaxLength;

    /// <summary>A label value: empty, or like the name part of a qualified name.</summary>
    public const string LabelValuePattern = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";

    /// <summary>What an object name may not contain: whitespace and control characters (the object-id look-alike needs code).</summary>
    public const string ObjectNamePattern = @"^[^\s\x00-\x1f\x7f-\x9f]+$";

    /// <summary>What is wrong with <paramref name="text"/> as a DNS-1123 label, or null.</summary>
    public static string? DnsLabel(string text, string example = "my-data") =>
        text.Length > DnsLabelMaxLength
            ? $"'{text}' has {text.Length} characters, but a DNS-1123 label has at most {DnsLabelMaxLength}; e.g. '{example}'."
            : DnsLabelRegex().IsMatch(text)
                ? null
                : $"'{text}' is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ending with a letter or digit; e.g. '{example}'.";

    /// <summary>What is wrong with <paramref name="text"/> as a DNS-1123 subdomain, or null.</summary>
    public static string? DnsSubdomain(string text, string example = "my-data.v1") =>
        text.Length > DnsSubdomainMaxLength
            ? $"'{Shorten(text)}' has {text.Length} characters, but a DNS-1123 subdomain has at most {DnsSubdomainMaxLength}; e.g. '{example}'."
            : DnsSubdomainRegex().IsMatch(text)
                ? null
                : $"'{text}' is not a DNS-1123 subdomain: use lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit; e.g. '{example}'.";

    /// <summary>What is wrong with <paramref name="text"/> as a qualified name (a label or annotation key), or null.</summary>
    public static string? QualifiedName(string text, string example = "example.com/my-key")
    {
        var slash = text.LastIndexOf('/');
        var (prefix, name) = slash < 0 ? (null, text) : (text[..slash], text[(slash + 1)..]);
        if (prefix is not null && (prefix.Length == 0 || DnsSubdomain(prefix) is not null))
        {
            return $"'{text}' is not a qualified name: the prefix before '/' must be a DNS-1123 subdomain of at most {DnsSubdomainMaxLength} characters; e.g. '{example}'.";
        }

        return name.Length > QualifiedNameMaxLength
            ? $"'{text}' is not a qualified name: the part after the prefix has {name.Length} characters, at most {QualifiedNameMaxLength} are allowed; e.g. '{example}'."
            : QualifiedNameRegex().IsMatch(name)
                ? null
                : $"'{text}' is not a qualified name: use an optional DNS subdomain and '/', then letters, digits, '-', '_' and '.', starting and ending with a letter or digit; e.g. '{example}'.";
    }

    /// <summary>What is wrong with <paramref name="text"/> as a label value, or null. Empty is allowed.</summary>
    public static string? LabelValue(string text, string example = "v1.2") =>
        text.Length > QualifiedNameMaxLength
            ? $"'{text}' has {text.Length} characters, but a label value has at most {QualifiedNameMaxLength}; e.g. '{example}'."
            : text.Length == 0 || QualifiedNameRegex().IsMatch(text)
                ? null
                : $"'{text}' is not a label value: use letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or leave it empty); e.g. '{example}'.";

    /// <summary>What is wrong with <paramref name="text"/> as an object-store object name, or null (the object store's own rules).</summary>
    public static string? ObjectName(string text)
    {
        const string Example = "use names like 'x_train' or 'run-42/model'";
        if (text.Length is 0 or > ObjectNameMaxLength)
        {
            return $"'{Shorten(text)}' is not an object name: it must have 1 to {ObjectNameMaxLength} characters; {Example}.";
        }

        if (text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            return $"'{text}' is not an object name: it must not contain spaces or control characters; {Example}.";
        }

        return ObjectIdPattern().IsMatch(text)
            ? $"'{text}' is not an object name: it looks like an object id ('o' and 16 hex digits), so gets by name and by id would be ambiguous; {Example}."
            : null;
    }

    /// <summary>What is wrong with <paramref name="text"/> as an environment variable name, or null (Kubernetes' relaxed rule).</summary>
    public static string? EnvironmentVariableName(string text) =>
        EnvNamePattern().IsMatch(text)
            ? null
            : $"'{text}' is not an environment variable name: use letters, digits, '_', '-' and '.', not starting with a digit; e.g. 'DATA_DIR'.";

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";

    [GeneratedRegex(DnsLabelPattern, RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabelRegex();

    [GeneratedRegex(DnsSubdomainPattern, RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomainRegex();

    [GeneratedRegex(QualifiedNamePattern, RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex("^o(?!0{16}$)[0-9a-fA-F]{16}$", RegexOptions.CultureInvariant)]
    private static partial Regex ObjectIdPattern();

    [GeneratedRegex("^[-._a-zA-Z][-._a-zA-Z0-9]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvNamePattern();
}
