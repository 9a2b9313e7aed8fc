using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Aspire.Cli.Kinds;
using Fluid.Aspire.Cli.Output;

namespace Fluid.Aspire.Cli.Commands;

/// <summary><c>fluid get KIND [NAME...]</c>: a table, or the objects as JSON, YAML or names.</summary>
internal static class GetCommand
{
    /// <summary>kubectl's indentation of JSON, so that tools and eyes used to it see the same.</summary>
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        IndentSize = 4,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly string[] Formats = ["json", "yaml", "wide", "name"];

    public static Command Create()
    {
        var kind = Invocation.KindArgument("get", "list");
        var names = Invocation.NamesArgument("Only these objects.", ArgumentArity.ZeroOrMore);
        var output = new Option<string>("--output", "-o")
        {
            Description = "json, yaml, wide (more columns) or name (kind/name per line).",
            HelpName = string.Join('|', Formats),
        };
        output.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } format && !Formats.Contains(format))
            {
                result.AddError($"-o {format} is not an output format; use one of {string.Join(", ", Formats)}.");
            }
        });
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "List the objects of every namespace, with a NAMESPACE column." };
        var selector = new Option<string>("--selector", "-l") { Description = "Only objects with these labels, e.g. -l fluid.io/run=r1 (pairs separated by commas)." };
        selector.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } text && Labels(text) is null)
            {
                result.AddError($"-l {text} is not a label selector; write key=value pairs separated by commas, e.g. -l fluid.io/run=r1.");
            }
        });
        var command = new Command("get", "List datasets, runtimes, dataprocesses, nodes or events, or show some by name.") { kind, names, output, all, selector };
        command.SetAction((parse, cancellationToken) => Invocation.RunAsync(parse, async session =>
        {
            var type = Kinds.Kinds.Find(parse.GetValue(kind)!);
            var wanted = parse.GetValue(names) ?? [];
            var everywhere = parse.GetValue(all) && type.Namespaced;
            if (everywhere && wanted.Length > 0)
            {
                throw CliException.Usage($"-A lists every namespace; to get {type.Plural} by name, name their namespace with -n instead.");
            }

            var labels = parse.GetValue(selector) is { } text ? Labels(text) : null;
            if (labels is not null && wanted.Length > 0)
            {
                throw CliException.Usage($"-l selects among all the {type.Plural}; give either names or -l, not both.");
            }

            var failed = false;
            var items = new List<Item>();
            if (wanted.Length == 0)
            {
                items.AddRange(await type.ListAsync(session, everywhere ? null : session.Namespace, labels, cancellationToken));
            }
            else
            {
                foreach (var name in wanted)
                {
                    if (await type.GetAsync(session, name, session.Namespace, cancellationToken) is { } item)
                    {
                        items.Add(item);
                    }
                    else
                    {
                        await Invocation.FailAsync(Invocation.NotFound(type, name, session.Namespace), ExitCodes.Error);
                        failed = true;
                    }
                }
            }

            var format = parse.GetValue(output);
            if (format is "json" or "yaml")
            {
                if (items.Count == 0 && wanted.Length > 0)
                {
                    // Nothing was found: the errors say so, and stdout stays empty rather than an empty List.
                    return ExitCodes.Error;
                }

                // One object by name prints as itself; anything else as a List, as kubectl does.
                var json = wanted.Length == 1 && items.Count == 1
                    ? items[0].Json.DeepClone()
                    : new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = new JsonArray([.. items.Select(i => i.Json.DeepClone())]) };
                Console.Out.Write(format == "json" ? json.ToJsonString(Indented) + "\n" : Yaml.FromJson(json));
            }
            else if (format == "name")
            {
                foreach (var item in items)
                {
                    Console.Out.Write($"{type.Qualified}/{item.Name}\n");
                }
            }
            else if (items.Count > 0)
            {
                Console.Out.Write(Render(type, items, format == "wide", everywhere, session.Now));
            }
            else if (wanted.Length == 0)
            {
                // On stderr, as kubectl: a script reading stdout sees no rows rather than a sentence.
                await Console.Error.WriteLineAsync(type.Namespaced && !everywhere ? $"No resources found in {session.Namespace} namespace." : "No resources found");
            }

            return failed ? ExitCodes.Error : ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>An equality-based selector, <c>a=1,b=2</c>, as a map; null when it is not one.</summary>
    private static Dictionary<string, string>? Labels(string text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0 || !labels.TryAdd(pair[..separator].Trim(), pair[(separator + 1)..].TrimStart('=').Trim()))
            {
                return null;
            }
        }

        return labels;
    }

    public static string Render(Kind type, IReadOnlyList<Item> items, bool wide, bool withNamespace, DateTimeOffset now)
    {
        var columns = type.Columns.Where(c => wide || !c.Wide).ToArray();
        var table = new Table(columns.Select(c => c.Header).Prepend(withNamespace ? "NAMESPACE" : null).OfType<string>());
        foreach (var item in items)
        {
            var cells = columns.Select(c => c.Value(item, now));
            table.Add(withNamespace ? cells.Prepend(item.Namespace) : cells);
        }

        return table.ToString();
    }
}
