using System.CommandLine;
using System.CommandLine.Invocation;
using Fluid.Aspire.Cli.Commands;

namespace Fluid.Aspire.Cli;

/// <summary>The <c>fluid</c> command: kubectl's verbs over a Fluid.Aspire stack's datasets, runtimes, steps, nodes and events.</summary>
internal static class FluidCommandLine
{
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "fluid: look at and manage a Fluid.Aspire stack (datasets, runtimes, dataprocesses, nodes, events) in kubectl's manner.")
        {
            GetCommand.Create(),
            DescribeCommand.Create(),
            LogsCommand.Create(),
            DeleteCommand.Create(),
        };
        root.Options.Add(Invocation.Kubeconfig);
        root.Options.Add(Invocation.Context);
        root.Options.Add(Invocation.Connection);
        root.Options.Add(Invocation.Namespace);
        return root;
    }

    /// <summary>
    /// Parses and runs. A command line that does not parse exits with 2 (not System.CommandLine's 1), so that a
    /// script can tell a mistyped command from one that failed; with no arguments at all, the help is shown.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Create().Parse(args.Length == 0 ? ["--help"] : args);
        if (parse.Action is ParseErrorAction && parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"error: {error.Message}");
            }

            var path = string.Join(' ', parse.CommandResult.Command is RootCommand ? [] : new[] { parse.CommandResult.Command.Name });
            await Console.Error.WriteLineAsync($"See 'fluid {path}{(path.Length == 0 ? "" : " ")}--help' for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync();
    }
}
