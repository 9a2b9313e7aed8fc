using System.Security.Cryptography;
using Fluid.Aspire.ObjectStore.Client;

// A second process for the object store's tests: it does one thing a test needs another process to do, and says
// so on stdout, so that the test can act (kill it, read what it wrote) at the right moment.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: <command> <socket> [arguments]; commands: hold-unsealed <bytes>, put <name> <bytes> <seed>, sha256 <name>, scribble <name>, scribble-own <name> <bytes>, map-count <objects>");
    return 2;
}

await using var client = await ObjectStoreClient.ConnectAsync(args[1]);
switch (args[0])
{
    case "hold-unsealed":
    {
        // A writer killed mid-write: its blob is filled but never sealed.
        var writer = await client.CreateBlobAsync(long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
        writer.Span.Fill(0xAB);
        Console.WriteLine("READY");
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    case "put":
    {
        var bytes = new byte[int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)];
        new Random(int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture)).NextBytes(bytes);
        var id = await client.PutAsync(bytes, new PutOptions { Name = args[2] });
        Console.WriteLine($"PUT {id} {Convert.ToHexString(SHA256.HashData(bytes))}");
        return 0;
    }

    case "sha256":
    {
        using var handle = await client.GetAsync(args[2]);
        await using var stream = handle.Blobs[0].AsStream();
        Console.WriteLine($"SHA256 {Convert.ToHexString(await SHA256.HashDataAsync(stream))}");
        return 0;
    }

    case "scribble":
    {
        // Sealed blobs are mapped read-only: this write must fault, killing this process and nothing else.
        using var handle = await client.GetAsync(args[2]);
        return WriteThrough(handle);
    }

    case "scribble-own":
    {
        // The writer itself reads its sealed object through the read-only mapping too: this write must fault.
        var writer = await client.CreateBlobAsync(long.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
        writer.Span.Fill(7);
        await writer.SealAsync(new PutOptions { Name = args[2] });
        using var handle = await client.GetAsync(args[2]);
        return WriteThrough(handle);
    }

    case "map-count":
    {
        // Many objects, one mapping per arena: list this process's arena mappings after getting them all.
        var handles = new List<ObjectHandle>();
        for (var i = 0; i < int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture); i++)
        {
            handles.Add(await client.GetAsync(await client.PutAsync(new byte[100_000])));
        }

        foreach (var line in File.ReadLines("/proc/self/maps").Where(l => l.Contains("fluid-arena-", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Console.WriteLine($"MAPPING {parts[1]} {parts.First(p => p.Contains("fluid-arena-", StringComparison.Ordinal))}");
        }

        handles.ForEach(h => h.Dispose());
        return 0;
    }

    default:
        Console.Error.WriteLine($"unknown command {args[0]}");
        return 2;
}

static int WriteThrough(ObjectHandle handle)
{
    Console.WriteLine("WRITING");
    Console.Out.Flush();
    unsafe
    {
        *(byte*)handle.Blobs[0].Address = 0x42;
    }

    Console.WriteLine("WROTE");
    return 0;
}
