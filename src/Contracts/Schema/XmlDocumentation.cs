using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Fluid.Aspire.Contracts.Schema;

/// <summary>
/// The <c>&lt;summary&gt;</c> texts of an assembly's XML documentation file (built next to it with
/// GenerateDocumentationFile), as plain text for schema descriptions: <c>kubectl explain</c> shows them.
/// </summary>
internal sealed partial class XmlDocumentation
{
    private readonly Dictionary<string, string> _summaries;

    private XmlDocumentation(Dictionary<string, string> summaries)
    {
        _summaries = summaries;
    }

    /// <summary>No documentation: every summary is null.</summary>
    public static XmlDocumentation None { get; } = new([]);

    /// <summary>The documentation of the Contracts assembly, or none when its file was not deployed.</summary>
    public static XmlDocumentation Contracts { get; } = Load(typeof(Resource).Assembly);

    /// <summary>Reads the documentation file next to <paramref name="assembly"/>; without one, every summary is null.</summary>
    public static XmlDocumentation Load(Assembly assembly)
    {
        // A single-file or in-memory assembly has no location, and then no file beside it either.
        var file = assembly.Location.Length == 0 ? null : Path.ChangeExtension(assembly.Location, ".xml");
        if (file is null || !File.Exists(file))
        {
            return None;
        }

        var summaries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in XDocument.Load(file).Descendants("member"))
        {
            if (member.Attribute("name")?.Value is { } id && member.Element("summary") is { } summary)
            {
                summaries[id] = PlainText(summary);
            }
        }

        return new(summaries);
    }

    /// <summary>The summary of a type, or null.</summary>
    public string? Summary(Type type) => _summaries.GetValueOrDefault("T:" + Id(type));

    /// <summary>The summary of a property, or null.</summary>
    public string? Summary(PropertyInfo property) =>
        property.DeclaringType is { } owner ? _summaries.GetValueOrDefault($"P:{Id(owner)}.{property.Name}") : null;

    /// <summary>The documentation id of a type: its full name, generic types as definitions (<c>Resource`2</c>), nested types with dots.</summary>
    private static string Id(Type type) =>
        (type.IsGenericType ? type.GetGenericTypeDefinition() : type).FullName!.Replace('+', '.');

    /// <summary>The text of a summary: code and references as their names, white space collapsed.</summary>
    private static string PlainText(XElement summary)
    {
        var text = new StringBuilder();
        foreach (var node in summary.Nodes())
        {
            text.Append(node switch
            {
                XText plain => plain.Value,
                XElement { Name.LocalName: "see" or "seealso" } reference => ReferenceName(reference),
                XElement { Name.LocalName: "paramref" or "typeparamref" } parameter => parameter.Attribute("name")?.Value,
                XElement other => other.Value,
                _ => "",
            });
        }

        return Spaces().Replace(text.ToString(), " ").Trim();
    }

    /// <summary><c>T:Fluid.Aspire.Contracts.Quantity</c> as <c>Quantity</c>, <c>M:X.Format(System.Int64)</c> as <c>Format</c>.</summary>
    private static string ReferenceName(XElement reference)
    {
        if (reference.Attribute("langword")?.Value is { } word)
        {
            return word;
        }

        var id = reference.Attribute("cref")?.Value ?? reference.Value;
        var withoutArguments = id.Split('(')[0];
        return withoutArguments[(withoutArguments.LastIndexOf('.') + 1)..];
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
