using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Fluid.Aspire.Contracts.Tests.Crds;

/// <summary>The example manifests of docs/examples, read as the API server reads YAML: into JSON, scalars typed by YAML 1.2's core schema.</summary>
internal static class Manifests
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "docs", "examples");

    public static string InvalidDirectory { get; } = Path.Combine(Directory, "invalid");

    public static IEnumerable<string> Valid() => System.IO.Directory.GetFiles(Directory, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    public static IEnumerable<string> Invalid() => System.IO.Directory.GetFiles(InvalidDirectory, "*.yaml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    public static JsonNode Read(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return ToJson(stream.Documents.Single().RootNode)
            ?? throw new InvalidDataException($"{path} holds a null document; write one resource.");
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(pair => KeyValuePair.Create(((YamlScalarNode)pair.Key).Value!, ToJson(pair.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidDataException($"Unexpected YAML node {node.NodeType} at {node.Start}."),
    };

    /// <summary>Only plain scalars are typed; a quoted "0.95" stays a string, as in Kubernetes.</summary>
    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(text);
        }

        return text switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
            _ when System.Text.RegularExpressions.Regex.IsMatch(text, @"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$") =>
                JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture)),
            _ => JsonValue.Create(text),
        };
    }
}
