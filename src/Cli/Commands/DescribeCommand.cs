using System.CommandLine;
using Fluid.Aspire.Cli.Kinds;
using Fluid.Aspire.Cli.Output;
using Fluid.Aspire.Contracts;

namespace Fluid.Aspire.Cli.Commands;

/// <summary><c>fluid describe KIND [NAME...]</c>: an object's metadata, spec, status, conditions and events, for people.</summary>
internal static class DescribeCommand
{
    public static Command Create()
    {
        var kind = Invocation.KindArgument("describe", "describe");
        var names = Invocation.NamesArgument("The objects to describe; every one of the kind in the namespace when none.", ArgumentArity.ZeroOrMore);
        var command = new Command("describe", "Show an object in detail: metadata, spec, status, conditions, a step's scheduling scores, and its events.") { kind, names };
        command.SetAction((parse, cancellationToken) => Invocation.RunAsync(parse, async session =>
        {
            var type = Kinds.Kinds.Find(parse.GetValue(kind)!);
            var wanted = parse.GetValue(names) ?? [];
            var failed = false;
            var items = new List<Item>();
            if (wanted.Length == 0)
            {
                items.AddRange(await type.ListAsync(session, session.Namespace, null, cancellationToken));
            }

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

            // One request for the events of every object described.
            var events = type.HasEvents ? await EventKind.AboutAsync(session, [.. items.Select(i => i.Value).OfType<Resource>()], cancellationToken) : [];
            for (var i = 0; i < items.Count; i++)
            {
                var description = new Description();
                type.Describe(description, items[i], items[i].Value is Resource resource ? [.. events.Where(e => EventKind.IsAbout(e, resource))] : [], session.Now);
                Console.Out.Write((i > 0 ? "\n\n" : "") + description);
            }

            if (items.Count == 0 && wanted.Length == 0)
            {
                await Console.Error.WriteLineAsync($"No resources found in {session.Namespace} namespace.");
            }

            return failed ? ExitCodes.Error : ExitCodes.Ok;
        }));
        return command;
    }
}
