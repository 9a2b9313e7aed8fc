using System.CommandLine;
using System.Text.Json;
using Apache.Arrow.Ipc;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Client.Arrow;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Cli;

/// <summary>The commands that talk to a running daemon over its socket: ls, stat, put, get, rm, stats.</summary>
internal static class ClientCommands
{
    private static readonly JsonSerializerOptions Indented = new(ClusterJson.Options) { WriteIndented = true };

    private static readonly Option<string> Socket = new("--socket")
    {
        Description = $"The daemon's socket (default: $FLUID_OBJECTSTORE_SOCKET, else {SocketPaths.Default()}).",
        Recursive = true,
    };

    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of a table." };

    public static IEnumerable<Command> Create()
    {
        yield return List();
        yield return Stat();
        yield return Put();
        yield return Get();
        yield return Remove();
        yield return Stats();
    }

    public static Option<string> SocketOption => Socket;

    private static Command List()
    {
        var pattern = new Argument<string>("pattern") { Description = "Only objects whose id, type or name contains this.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("ls", "List the objects held by this node and persisted anywhere in the cluster.") { pattern, Json };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, async client =>
        {
            var listing = await client.ListAsync(parse.GetValue(pattern), 10_000, cancellationToken);
            if (parse.GetValue(Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(listing.Objects, Indented));
                return 0;
            }

            Console.WriteLine($"{"ID",-18} {"TYPE",-28} {"SIZE",10} {"INSTANCE",8} {"WHERE",-9} NAMES");
            foreach (var o in listing.Objects)
            {
                var where = !o.IsLocal ? "remote" : o.IsSpilled ? "spilled" : o.IsPersisted ? "persisted" : "local";
                Console.WriteLine($"{o.Id,-18} {o.TypeName,-28} {ByteSize.Format(o.NBytes),10} {o.Instance,8} {where,-9} {string.Join(", ", o.Names)}");
            }

            if (listing.Truncated)
            {
                Console.WriteLine("(more objects than shown; narrow the list with a pattern)");
            }

            return 0;
        }));
        return command;
    }

    private static Command Stat()
    {
        var target = Target();
        var fetch = Fetch();
        var command = new Command("stat", "Show an object's metadata as JSON, without reading or copying its bytes.") { target, fetch };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, async client =>
        {
            var text = parse.GetValue(target)!;
            if (parse.GetValue(fetch))
            {
                // Asked to copy it here: that is a get, whose metadata is the same.
                using var handle = await GetAsync(client, text, fetch: true, cancellationToken);
                Console.WriteLine(JsonSerializer.Serialize(handle.Meta, Indented));
                return 0;
            }

            var info = ObjectId.TryParse(text, out var id)
                ? await client.StatAsync(id, cancellationToken)
                : await client.StatAsync(text, cancellationToken);
            Console.WriteLine(JsonSerializer.Serialize(info.Meta, Indented));
            return 0;
        }));
        return command;
    }

    private static Command Put()
    {
        var file = new Option<FileInfo>("--from-file") { Description = "The file to put. Arrow IPC files become Arrow tables; anything else, a buffer.", Required = true };
        var name = new Option<string>("--name") { Description = "A name to find the object by." };
        var persist = new Option<bool>("--persist") { Description = "Write it to etcd, so that every instance sees it." };
        var raw = new Option<bool>("--raw") { Description = "Put an Arrow IPC file as plain bytes instead of as a table." };
        var command = new Command("put", "Put a file into the store and print the new object's id.") { file, name, persist, raw };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, async client =>
        {
            var source = parse.GetValue(file)!;
            if (!source.Exists)
            {
                throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument, $"There is no file {source.FullName}.");
            }

            var options = new PutOptions { Name = parse.GetValue(name), Persist = parse.GetValue(persist) };
            var id = !parse.GetValue(raw) && IsArrowFile(source)
                ? await PutArrowAsync(client, source, options, cancellationToken)
                : await PutBytesAsync(client, source, options, cancellationToken);
            Console.WriteLine(id);
            return 0;
        }));
        return command;
    }

    private static Command Get()
    {
        var target = Target();
        var fetch = Fetch();
        var file = new Option<FileInfo>("--to-file") { Description = "Where to write it. Arrow objects are written as Arrow IPC files, buffers as their bytes.", Required = true };
        var command = new Command("get", "Write an object to a file.") { target, file, fetch };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, async client =>
        {
            using var handle = await GetAsync(client, parse.GetValue(target)!, parse.GetValue(fetch), cancellationToken);
            var destination = parse.GetValue(file)!;
            await using var output = destination.Create();
            if (handle.TypeName is ArrowObjects.RecordBatchTypeName or ArrowObjects.TableTypeName)
            {
                var batches = ArrowObjects.BatchesOf(handle);
                EnsureOneDictionaryPerColumn(batches);
                using var writer = new ArrowFileWriter(output, batches[0].Schema, leaveOpen: true);
                foreach (var batch in batches)
                {
                    await writer.WriteRecordBatchAsync(batch, cancellationToken);
                }

                await writer.WriteEndAsync(cancellationToken);
            }
            else
            {
                foreach (var blob in handle.Blobs)
                {
                    await using var bytes = blob.AsStream();
                    await bytes.CopyToAsync(output, cancellationToken);
                }
            }

            Console.WriteLine($"{handle.Id} ({handle.TypeName}, {ByteSize.Format(handle.Meta.NBytes)}) -> {destination.FullName}");
            return 0;
        }));
        return command;
    }

    private static Command Remove()
    {
        var targets = new Argument<string[]>("targets") { Description = "Ids (o + 16 hex digits) or names.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Delete objects; their memory is reclaimed once no client holds them.") { targets };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, async client =>
        {
            foreach (var target in parse.GetValue(targets)!)
            {
                await (ObjectId.TryParse(target, out var id) ? client.DeleteAsync(id, cancellationToken) : client.DeleteAsync(target, cancellationToken));
                Console.WriteLine($"deleted {target}");
            }

            return 0;
        }));
        return command;
    }

    private static Command Stats()
    {
        var command = new Command("stats", "Show the daemon's memory and activity.") { Json };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, async client =>
        {
            var stats = await client.GetStatsAsync(cancellationToken);
            if (parse.GetValue(Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(stats, Indented));
                return 0;
            }

            Console.WriteLine($"instance {stats.Instance} on node {stats.Node} ({stats.Backend}, {stats.Arenas} arena(s))");
            Console.WriteLine($"memory   {ByteSize.Format(stats.Used)} used of {ByteSize.Format(stats.Capacity)}, {ByteSize.Format(stats.Free)} free " +
                $"(largest block {ByteSize.Format(stats.LargestFreeBlock)}, fragmentation {stats.Fragmentation:P1})");
            Console.WriteLine($"objects  {stats.Objects} ({stats.Blobs} blobs, {stats.UnsealedBlobs} being written)");
            Console.WriteLine($"spilled  {stats.SpilledBlobs} blobs, {ByteSize.Format(stats.SpilledBytes)}");
            Console.WriteLine($"activity {stats.Puts} puts, {stats.Gets} gets, {ByteSize.Format(stats.FetchedBytes)} fetched; {stats.Connections} connection(s)");
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Arrow's IPC file writer keeps the dictionaries of the first batch only; a later batch with other dictionary
    /// values would read back wrong, so such a table is refused rather than exported corrupted.
    /// </summary>
    private static void EnsureOneDictionaryPerColumn(IReadOnlyList<Apache.Arrow.RecordBatch> batches)
    {
        for (var column = 0; column < batches[0].ColumnCount; column++)
        {
            if (batches[0].Column(column) is not Apache.Arrow.DictionaryArray first)
            {
                continue;
            }

            foreach (var batch in batches.Skip(1))
            {
                if (!SameData(first.Dictionary.Data, ((Apache.Arrow.DictionaryArray)batch.Column(column)).Dictionary.Data))
                {
                    throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument,
                        $"Column '{batches[0].Schema.FieldsList[column].Name}' has different dictionaries in different batches, which one " +
                        "Arrow IPC file cannot hold; read the object through the client library instead, or store it with one dictionary.");
                }
            }
        }
    }

    private static bool SameData(Apache.Arrow.ArrayData left, Apache.Arrow.ArrayData right) =>
        left.Length == right.Length && left.Offset == right.Offset && left.Buffers.Length == right.Buffers.Length
        && left.Buffers.Zip(right.Buffers).All(pair => pair.First.Span.SequenceEqual(pair.Second.Span))
        && (left.Children ?? []).Length == (right.Children ?? []).Length
        && (left.Children ?? []).Zip(right.Children ?? []).All(pair => SameData(pair.First, pair.Second));

    private static Argument<string> Target() => new("target") { Description = "An object id (o + 16 hex digits) or a name." };

    private static Option<bool> Fetch() => new("--fetch") { Description = "Copy the object here first when another instance holds it." };

    private static Task<ObjectHandle> GetAsync(ObjectStoreClient client, string target, bool fetch, CancellationToken cancellationToken)
    {
        var options = new GetOptions { Fetch = fetch };
        return ObjectId.TryParse(target, out var id)
            ? client.GetAsync(id, options, cancellationToken)
            : client.GetAsync(target, options, cancellationToken);
    }

    private static bool IsArrowFile(FileInfo file)
    {
        Span<byte> magic = stackalloc byte[6];
        using var stream = file.OpenRead();
        return stream.Read(magic) == 6 && magic.SequenceEqual("ARROW1"u8);
    }

    private static async Task<ObjectId> PutArrowAsync(ObjectStoreClient client, FileInfo file, PutOptions options, CancellationToken cancellationToken)
    {
        using var reader = ArrowFileReader.FromFile(file.FullName);
        var count = await reader.RecordBatchCountAsync();
        var batches = new List<Apache.Arrow.RecordBatch>(count);
        for (var i = 0; i < count; i++)
        {
            batches.Add(await reader.ReadRecordBatchAsync(i, cancellationToken));
        }

        if (batches.Count == 0)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument, $"{file.Name} is an Arrow file without record batches; put it with --raw.");
        }

        return await client.PutTableAsync(batches, options, cancellationToken);
    }

    private static async Task<ObjectId> PutBytesAsync(ObjectStoreClient client, FileInfo file, PutOptions options, CancellationToken cancellationToken)
    {
        using var writer = await client.CreateBlobAsync(Math.Max(1, file.Length), cancellationToken);
        await using (var input = file.OpenRead())
        await using (var output = writer.AsStream())
        {
            await input.CopyToAsync(output, cancellationToken);
        }

        return await writer.SealAsync(options, file.Length, cancellationToken);
    }

    /// <summary>Connects, runs the command, and turns a refused request into one line on stderr and exit code 1.</summary>
    private static async Task<int> WithClientAsync(ParseResult parse, Func<ObjectStoreClient, Task<int>> run)
    {
        try
        {
            await using var client = await ObjectStoreClient.ConnectAsync(new ObjectStoreClientOptions
            {
                SocketPath = parse.GetValue(Socket),
                ClientName = $"fluid-objectstore {parse.CommandResult.Command.Name}",
            });
            return await run(client);
        }
        catch (ObjectStoreException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }
}
