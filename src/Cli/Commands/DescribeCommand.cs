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
        var kind = Invocation.KindArgument("describe");
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

            // Events are read once for all the objects described: one listing of the namespace.
            var events = type.HasEvents && items.Count > 0
                ? (await session.Store.ListAsync<Event>(session.Namespace, cancellationToken: cancellationToken)).Items
                : [];
            for (var i = 0; i < items.Count; i++)
            {
                var description = new Description();
                type.Describe(description, items[i], [.. events.Where(e => IsAbout(e, items[i]))], session.Now);
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

    /// <summary>
    /// Whether an event is about this very object: by kind and name, and by uid when both have one, so that the
    /// events of an earlier object of the same name do not show.
    /// </summary>
    private static bool IsAbout(Event e, Item item) =>
        item.Value is Resource resource
        && e.InvolvedObject.Kind == resource.Kind
        && e.InvolvedObject.Name == resource.Metadata.Name
        && (string.IsNullOrEmpty(e.InvolvedObject.Uid) || string.IsNullOrEmpty(resource.Metadata.Uid) || e.InvolvedObject.Uid == resource.Metadata.Uid);
}
