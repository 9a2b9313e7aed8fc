using System.CommandLine;

namespace Fluid.Aspire.ObjectStore.Cli;

/// <summary>The <c>fluid-objectstore</c> command: the daemon, and the commands that talk to it.</summary>
internal static class ObjectStoreCommandLine
{
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "Fluid.Aspire object store: zero-copy sharing of objects between processes through shared memory, and between nodes over the network.")
        {
            StartCommand.Create(),
        };
        root.Options.Add(ClientCommands.SocketOption);
        foreach (var command in ClientCommands.Create())
        {
            root.Subcommands.Add(command);
        }

        return root;
    }
}
