using System.CommandLine;
using Fluid.Aspire.Cli.Kinds;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Serialization;

namespace Fluid.Aspire.Cli.Commands;

/// <summary>
/// <c>fluid delete KIND NAME... [--wait]</c>. A dataset goes once the controller has cleaned up what it owns (its
/// finalizer), so "deleted" means deletion was asked for; <c>--wait</c> returns once it is really gone.
/// </summary>
internal static class DeleteCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static Command Create()
    {
        var kind = Invocation.KindArgument("delete", "delete");
        var names = Invocation.NamesArgument("The objects to delete.", ArgumentArity.OneOrMore);
        var wait = new Option<bool>("--wait") { Description = "Return once the objects are gone (finalizers done), not when deletion was asked for." };
        var timeout = new Option<string>("--timeout")
        {
            Description = "How long --wait waits, e.g. 30s or 2m.",
            DefaultValueFactory = _ => "60s",
        };
        timeout.Validators.Add(result =>
        {
            if (!GoDuration.TryParse(result.GetValueOrDefault<string>(), out var value) || value <= TimeSpan.Zero)
            {
                result.AddError($"--timeout '{result.GetValueOrDefault<string>()}' is not a positive duration; write e.g. 30s, 2m or 1m30s.");
            }
        });
        var command = new Command("delete", "Delete objects; a dataset takes its runtime, its steps and their objects with it.") { kind, names, wait, timeout };
        command.SetAction((parse, cancellationToken) => Invocation.RunAsync(parse, async session =>
        {
            var type = Kinds.Kinds.Find(parse.GetValue(kind)!);
            var failed = false;
            var deleted = new List<string>();
            foreach (var name in parse.GetValue(names)!.Distinct(StringComparer.Ordinal))
            {
                if (await type.DeleteAsync(session, name, session.Namespace, cancellationToken))
                {
                    Console.Out.Write($"{type.Qualified}/{name} deleted\n");
                    deleted.Add(name);
                }
                else
                {
                    await Invocation.FailAsync(Invocation.NotFound(type, name, session.Namespace), ExitCodes.Error);
                    failed = true;
                }
            }

            if (parse.GetValue(wait))
            {
                var limit = GoDuration.Parse(parse.GetValue(timeout)!);
                failed |= !await WaitUntilGoneAsync(session, type, deleted, limit, cancellationToken);
            }

            return failed ? ExitCodes.Error : ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Polls until every object is gone; false, with what holds each remaining one, when time runs out.</summary>
    private static async Task<bool> WaitUntilGoneAsync(Session session, Kind type, List<string> names, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + limit;
        var remaining = new List<string>(names);
        while (true)
        {
            var still = new List<Item>();
            foreach (var name in remaining)
            {
                if (await type.GetAsync(session, name, session.Namespace, cancellationToken) is { } item)
                {
                    still.Add(item);
                }
            }

            if (still.Count == 0)
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                foreach (var item in still)
                {
                    var finalizers = item.Value is Resource { Metadata.Finalizers: { Count: > 0 } list } ? string.Join(", ", list) : "none";
                    await Invocation.FailAsync(
                        $"{type.Singular} {session.Namespace}/{item.Name} is still there after {GoDuration.Format(limit)} (finalizers: {finalizers}); " +
                        "the controller removes its finalizer once it has cleaned up: is it running (fluid get nodes)? Or wait longer with --timeout.",
                        ExitCodes.Error);
                }

                return false;
            }

            remaining = [.. still.Select(i => i.Name)];
            await Task.Delay(PollInterval, cancellationToken);
        }
    }
}
