using System.CommandLine;
using System.Globalization;
using Fluid.Aspire.ObjectStore.Daemon;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Rpc;

namespace Fluid.Aspire.ObjectStore.Cli;

/// <summary><c>start</c>: runs the daemon until Ctrl+C or SIGTERM. Options override the same settings given by configuration.</summary>
internal static class StartCommand
{
    public static Command Create()
    {
        var size = new Option<string>("--size") { Description = "Shared memory to use, e.g. 4Gi, 512Mi (default 2Gi)." };
        var arenaSize = new Option<string>("--arena-size") { Description = "Split the memory into arenas of at most this size (default: one arena)." };
        var reserve = new Option<bool>("--reserve-memory") { Description = "Allocate and fault in all the memory at start, so first writes run at memory speed." };
        var spillPath = new Option<string>("--spill-path") { Description = "Spill sealed, unreferenced objects to this directory when memory runs short." };
        var spillLow = new Option<double?>("--spill-low") { Description = "Spill down to this fraction of the memory (default 0.3)." };
        var spillHigh = new Option<double?>("--spill-high") { Description = "Start spilling above this fraction of the memory (default 0.8)." };
        var node = new Option<string>("--node") { Description = "The node name (default: the host name)." };
        var zone = new Option<string>("--zone") { Description = "The node's zone label." };
        var region = new Option<string>("--region") { Description = "The node's region label." };
        var etcd = new Option<string>("--etcd") { Description = "Join the cluster whose state is in this etcd, e.g. http://127.0.0.1:2379 (default: standalone)." };
        var kubeconfig = new Option<string>("--kubeconfig")
        {
            Description = "With --etcd: register this node's object store with the control plane through the Kubernetes API of this kubeconfig (in a pod: its service account).",
        };
        var rpcPort = new Option<int?>("--rpc-port") { Description = "The gRPC port for other instances and remote clients (default: any free port)." };
        var bulkPort = new Option<int?>("--bulk-port") { Description = "The port of the bulk channel between instances (default: any free port)." };
        var bind = new Option<string>("--bind") { Description = "The address the RPC and bulk listeners bind to (default 127.0.0.1)." };
        var advertise = new Option<string>("--advertise") { Description = "The address other instances reach this one at (default: the bind address)." };
        var tokenFile = new Option<string>("--token-file")
        {
            Description = "A file holding the cluster's token, which every caller of the RPC and bulk listeners must present; required unless --bind is a loopback address.",
        };
        var allowUid = new Option<int[]>("--allow-uid")
        {
            Description = "A user (uid) allowed to connect besides the daemon's own and root; repeat for more.",
            AllowMultipleArgumentsPerToken = false,
        };
        var maxClients = new Option<int?>("--max-clients") { Description = "The most clients connected at once; one more is refused (default 4096)." };
        var ipcThreads = new Option<int?>("--ipc-threads") { Description = "The threads serving the socket's clients (default: one per processor, at most 16)." };
        var peerChannel = new Option<PeerChannel?>("--peer-channel") { Description = "How bytes move between instances: Auto, Bulk or Grpc (default Auto)." };

        var command = new Command("start", "Run the object store daemon until Ctrl+C or SIGTERM.")
        {
            size, arenaSize, reserve, spillPath, spillLow, spillHigh, node, zone, region, etcd, kubeconfig, rpcPort, bulkPort, bind, advertise, tokenFile, allowUid, maxClients, ipcThreads, peerChannel,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
            void Set(string key, object? value)
            {
                if (value is not null && value is not false)
                {
                    settings[key] = Convert.ToString(value, CultureInfo.InvariantCulture);
                }
            }

            const string section = ObjectStoreOptions.SectionName;
            Set($"{section}:Size", parse.GetValue(size));
            Set($"{section}:ArenaSize", parse.GetValue(arenaSize));
            Set($"{section}:ReserveMemory", parse.GetValue(reserve));
            Set($"{section}:Socket", parse.GetValue(ClientCommands.SocketOption));
            Set($"{section}:SpillPath", parse.GetValue(spillPath));
            Set($"{section}:SpillLowWatermark", parse.GetValue(spillLow));
            Set($"{section}:SpillHighWatermark", parse.GetValue(spillHigh));
            Set($"{section}:RpcPort", parse.GetValue(rpcPort));
            Set($"{section}:BulkPort", parse.GetValue(bulkPort));
            Set($"{section}:BindAddress", parse.GetValue(bind));
            Set($"{section}:AdvertiseAddress", parse.GetValue(advertise));
            Set($"{section}:TokenFile", parse.GetValue(tokenFile) is { } token ? Path.GetFullPath(token) : null);
            Set($"{section}:PeerChannel", parse.GetValue(peerChannel));
            Set($"{section}:MaxClients", parse.GetValue(maxClients));
            Set($"{section}:IpcThreads", parse.GetValue(ipcThreads));
            var uids = parse.GetValue(allowUid) ?? [];
            for (var i = 0; i < uids.Length; i++)
            {
                Set($"{section}:AllowedUids:{i}", uids[i]);
            }
            Set("Fluid:Node:Name", parse.GetValue(node));
            Set("Fluid:Node:Zone", parse.GetValue(zone));
            Set("Fluid:Node:Region", parse.GetValue(region));
            Set("ConnectionStrings:fluid", parse.GetValue(etcd));
            Set("Fluid:Kubernetes:Kubeconfig", parse.GetValue(kubeconfig) is { } file ? Path.GetFullPath(file) : null);

            WebApplication app;
            try
            {
                app = DaemonHost.Build(settings);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or FormatException)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            await using (app)
            {
                try
                {
                    await app.RunAsync(cancellationToken);
                }
                catch (InvalidOperationException ex)
                {
                    await Console.Error.WriteLineAsync($"error: {ex.Message}");
                    return 2;
                }
            }

            return 0;
        });
        return command;
    }
}
