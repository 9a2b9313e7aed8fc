using System.Security.Cryptography;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>Objects cross process boundaries through shared memory, mapped once per process, read-only once sealed.</summary>
public sealed class SharedMemoryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Bytes_put_by_this_process_are_read_by_another()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        await client.PutAsync(bytes, new PutOptions { Name = "payload" }, Cancellation);
        var copy = Path.Combine(daemon.Directory, "copy.bin");

        var (exitCode, output) = await daemon.CliAsync(Cancellation, "get", "payload", "--to-file", copy);

        Assert.True(exitCode == 0, output);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(copy, Cancellation));
    }

    [Fact]
    public async Task Bytes_put_by_another_process_are_read_here_in_place()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var writer = daemon.StartTestClient("put", "from-child", $"{5 * 1024 * 1024}", "42");
        Assert.Equal(0, await writer.WaitForExitAsync(Patience, Cancellation));
        var expected = new byte[5 * 1024 * 1024];
        new Random(42).NextBytes(expected);

        await using var client = await daemon.ConnectAsync(Cancellation);
        using var handle = await client.GetAsync("from-child", cancellationToken: Cancellation);

        Assert.True(handle.Blobs[0].Span.SequenceEqual(expected));
        Assert.Contains(Convert.ToHexString(SHA256.HashData(expected)), writer.Output, StringComparison.Ordinal);
        var address = handle.Blobs[0].Address;
        Assert.Contains(ArenaMappings(), m => !m.Writable && address >= m.Start && address + expected.Length <= m.End);
    }

    [Fact]
    public async Task Each_arena_is_mapped_once_per_client_however_many_objects_it_gets()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, options: ["--arena-size", "16Mi"]);

        // In a process of its own, so that no other test's client shares its mappings.
        await using var reader = daemon.StartTestClient("map-count", "200");
        Assert.Equal(0, await reader.WaitForExitAsync(Patience, Cancellation));

        // 64 MiB in 16 MiB arenas: four descriptors came with the handshake. Each arena has one read-only mapping
        // (every get goes through it) and one writable mapping once written to; no mapping per object.
        var mappings = reader.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith("MAPPING ", StringComparison.Ordinal))
            .Select(line => line.Split(' '))
            .Select(parts => (Name: parts[2], Writable: parts[1][1] == 'w'))
            .ToList();
        Assert.Equal(4, mappings.Select(m => m.Name).Distinct().Count());
        Assert.All(mappings.GroupBy(m => m), group => Assert.Single(group));
        Assert.Equal(4, mappings.Count(m => !m.Writable));
    }

    [Fact]
    public async Task A_sealed_blob_cannot_be_written_through_the_api_nor_through_its_memory()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var writer = await client.CreateBlobAsync(4096, Cancellation);
        writer.Span.Fill(7);
        await writer.SealAsync(new PutOptions { Name = "sealed" }, cancellationToken: Cancellation);

        var error = Assert.Throws<InvalidOperationException>(() => writer.Span[0] = 1);
        Assert.Contains("sealed", error.Message, StringComparison.Ordinal);

        // Another process that writes through the read-only mapping of a got object faults, and only it dies.
        await using var scribbler = daemon.StartTestClient("scribble", "sealed");
        var exitCode = await scribbler.WaitForExitAsync(Patience, Cancellation);
        Assert.Contains("WRITING", scribbler.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("WROTE", scribbler.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, exitCode);

        using var handle = await client.GetAsync("sealed", cancellationToken: Cancellation);
        Assert.All(handle.Blobs[0].Span.ToArray(), b => Assert.Equal(7, b));
    }

    /// <summary>This process's mappings of arenas, from /proc/self/maps.</summary>
    private static List<(string Name, bool Writable, nint Start, nint End)> ArenaMappings() =>
        File.ReadAllLines("/proc/self/maps")
            .Where(line => line.Contains("fluid-arena-", StringComparison.Ordinal))
            .Select(line =>
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var range = parts[0].Split('-');
                var name = parts[5..].First(p => p.Contains("fluid-arena-", StringComparison.Ordinal));
                return (name, parts[1][1] == 'w',
                    (nint)Convert.ToInt64(range[0], 16), (nint)Convert.ToInt64(range[1], 16));
            })
            .ToList();
}
