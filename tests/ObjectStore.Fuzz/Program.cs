using System.CommandLine;
using System.Globalization;
using Fluid.Aspire.ObjectStore.Fuzz;
using Fluid.Aspire.ObjectStore.Objects;

// A long fuzz run against the object store daemon: the cases of the Protocol tests' fuzz test, by the hundred
// thousand. Exits 0 when the daemon survived and served every good client, 1 otherwise.
var socket = new Option<string>("--socket") { Description = "The socket of a running daemon to fuzz (default: start one from this repository's build)." };
var pid = new Option<int?>("--pid") { Description = "The process id of the daemon given by --socket: its memory is watched, and its exit noticed." };
var cases = new Option<long>("--cases") { Description = "How many cases to run.", DefaultValueFactory = _ => 100_000 };
var seed = new Option<int?>("--seed") { Description = "The seed of the cases (default: a random one, printed)." };
var firstCase = new Option<long>("--first-case") { Description = "The index of the first case; with --cases 1, replays one case of a seed." };
var seconds = new Option<double?>("--seconds") { Description = "Stop after this many seconds, even if not every case ran." };
var parallel = new Option<int>("--parallel") { Description = "Hostile connections at a time.", DefaultValueFactory = _ => 8 };
var memoryLimit = new Option<string>("--memory-limit")
{
    Description = "How much the daemon's resident memory may grow over the run.", DefaultValueFactory = _ => "512Mi",
};
var verbose = new Option<bool>("--verbose") { Description = "Print every case: what it sent and what the daemon answered." };
var size = new Option<string>("--size") { Description = "Shared memory of the daemon this command starts.", DefaultValueFactory = _ => "1Gi" };

var root = new RootCommand("Sends malformed frames to the object store daemon on many connections while a good client checks that it still serves.")
{
    socket, pid, cases, seed, firstCase, seconds, parallel, memoryLimit, verbose, size,
};
root.SetAction(async (parse, cancellationToken) =>
{
    var chosenSeed = parse.GetValue(seed) ?? Random.Shared.Next();
    DaemonProcess? daemon = null;
    try
    {
        var socketPath = parse.GetValue(socket);
        var watched = socketPath is null ? null : parse.GetValue(pid);
        if (socketPath is null)
        {
            var assembly = DaemonProcess.DefaultAssembly();
            Console.WriteLine($"Starting the daemon {assembly} ...");
            daemon = await DaemonProcess.StartAsync(assembly, parse.GetValue(size)!, cancellationToken);
            socketPath = daemon.SocketPath;
            Console.WriteLine($"Daemon {daemon.Id} serves {socketPath}.");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Seed {chosenSeed}; replay a failing case alone with --seed {chosenSeed} --first-case <case> --cases 1."));
        var options = new FuzzOptions
        {
            SocketPath = socketPath,
            Seed = chosenSeed,
            Cases = parse.GetValue(cases),
            FirstCase = parse.GetValue(firstCase),
            Duration = parse.GetValue(seconds) is { } limit ? TimeSpan.FromSeconds(limit) : null,
            Parallelism = parse.GetValue(parallel),
            DaemonAlive = daemon is not null ? () => !daemon.HasExited : watched is { } id ? () => Directory.Exists($"/proc/{id}") : null,
            DaemonMemory = (daemon?.Id ?? watched) is { } memoryOf ? () => FuzzRun.ResidentMemory(memoryOf) : null,
            MemoryGrowthLimit = Fluid.Aspire.Contracts.Quantity.ParseBytes(parse.GetValue(memoryLimit)!),
            CheckLeaks = daemon is not null,
            Progress = progress => Console.WriteLine(progress),
            CaseDone = parse.GetValue(verbose) ? outcome => Console.WriteLine(outcome.Describe()) : null,
            ProgressInterval = TimeSpan.FromSeconds(3),
        };
        var summary = await new FuzzRun(options).RunAsync(cancellationToken);
        Console.WriteLine(summary.Describe());
        if (daemon is { HasExited: true })
        {
            Console.WriteLine($"The daemon exited with code {daemon.ExitCode}; its last words:{Environment.NewLine}{daemon.OutputTail}");
        }

        return summary.Passed ? 0 : 1;
    }
    catch (Exception ex) when (ex is InvalidOperationException or FormatException or ObjectStoreException)
    {
        await Console.Error.WriteLineAsync($"error: {ex.Message}");
        return 2;
    }
    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
    {
        await Console.Error.WriteLineAsync("Interrupted.");
        return 130;
    }
    finally
    {
        if (daemon is not null)
        {
            await daemon.DisposeAsync();
        }
    }
});

return await root.Parse(args).InvokeAsync();
