using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Fluid.Aspire.Cli.Output;

/// <summary>
/// JSON as YAML, node for node: <c>-o yaml</c> is made from the very JSON that <c>-o json</c> prints, so the two
/// always hold the same fields in the same order. Strings that YAML would read as something else (<c>true</c>,
/// <c>10</c>, <c>null</c>, a timestamp) are quoted, as kubectl quotes them; multi-line strings (a log tail) are
/// literal blocks.
/// </summary>
internal static partial class Yaml
{
    public static string FromJson(JsonNode? json)
    {
        using var writer = new StringWriter();
        // No folding of long lines: a message or a log line stays one line, as in the JSON.
        var emitter = new Emitter(writer, 2, int.MaxValue);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Write(emitter, json);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static void Write(Emitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(Plain("null"));
                break;
            case JsonObject map:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, map.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, member) in map)
                {
                    emitter.Emit(Text(key));
                    Write(emitter, member);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray list:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, list.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in list)
                {
                    Write(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            default:
                var value = node.AsValue();
                emitter.Emit(value.GetValueKind() switch
                {
                    JsonValueKind.String => Text(value.GetValue<string>()),
                    JsonValueKind.True => Plain("true"),
                    JsonValueKind.False => Plain("false"),
                    // The number's own JSON text, so that 0.95 stays 0.95 and a long stays exact.
                    _ => Plain(value.ToJsonString()),
                });
                break;
        }
    }

    private static Scalar Plain(string text) => new(null, null, text, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false);

    private static Scalar Text(string text)
    {
        var style = text.Contains('\n', StringComparison.Ordinal) ? ScalarStyle.Literal
            : ReadsAsOtherThanString().IsMatch(text) ? ScalarStyle.DoubleQuoted
            : ScalarStyle.Any;
        return new Scalar(null, null, text, style, isPlainImplicit: true, isQuotedImplicit: true);
    }

    /// <summary>
    /// Plain scalars that a YAML 1.1 or 1.2 reader would take for null, a boolean, a number or a timestamp; other
    /// strings need no quotes unless the emitter finds characters that require them.
    /// </summary>
    [GeneratedRegex(
        @"^(|~|null|Null|NULL|[yY]|yes|Yes|YES|[nN]|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF" +
        @"|[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+|[-+]?[0-9]+(:[0-5]?[0-9])+(\.[0-9_]*)?" +
        @"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)$",
        RegexOptions.CultureInvariant)]
    private static partial Regex ReadsAsOtherThanString();
}
