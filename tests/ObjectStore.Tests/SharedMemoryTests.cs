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

    [Fact]
    public async Task A_writer_reads_its_own_sealed_object_through_the_read_only_mapping_and_a_write_there_faults()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        const int size = 1024 * 1024;

        await using var writer = daemon.StartTestClient("scribble-own", "large", $"{size}");
        var exitCode = await writer.WaitForExitAsync(Patience, Cancellation);

        Assert.Contains("WRITING", writer.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("WROTE", writer.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, exitCode);
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var handle = await client.GetAsync("large", cancellationToken: Cancellation);
        Assert.Equal(size, handle.Blobs[0].Length);
        Assert.Equal(-1, handle.Blobs[0].Span.IndexOfAnyExcept((byte)7));
    }

    [Fact]
    public async Task Memory_and_streams_kept_past_the_seal_refuse_to_be_written()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var writer = await client.CreateBlobAsync(1000, Cancellation);
        var memory = writer.Memory;
        memory.Span.Fill(7);
        using var stream = writer.AsStream();
        stream.Write(Enumerable.Repeat((byte)7, 10).ToArray());
        await writer.SealAsync(new PutOptions { Name = "small" }, cancellationToken: Cancellation);

        Assert.Contains("sealed", Assert.Throws<InvalidOperationException>(() => memory.Span.Fill(0x42)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => memory.Pin());
        Assert.Throws<InvalidOperationException>(() => writer.AsStream());
        Assert.Throws<InvalidOperationException>(() => stream.WriteByte(0x42));
        Assert.Throws<InvalidOperationException>(() => stream.Write(new byte[] { 0x42 }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => stream.WriteAsync(new byte[] { 0x42 }, Cancellation).AsTask());
        using var handle = await client.GetAsync("small", cancellationToken: Cancellation);
        Assert.Equal(-1, handle.Blobs[0].Span.IndexOfAnyExcept((byte)7));
    }

    [Fact]
    public async Task A_stream_write_under_way_on_another_thread_finishes_before_the_seal_and_none_starts_after()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "256Mi");
        await using var client = await daemon.ConnectAsync(Cancellation);
        const int chunk = 64 * 1024 * 1024;
        byte[][] fills = [Enumerable.Repeat((byte)1, chunk).ToArray(), Enumerable.Repeat((byte)2, chunk).ToArray()];

        // One 64 MiB copy after another, so that the seal lands in the middle of one: without the seal waiting for
        // it, the copy would reach the blob's last byte only after the seal returned.
        for (var round = 0; round < 3; round++)
        {
            using var writer = await client.CreateBlobAsync(chunk, Cancellation);
            using var stream = writer.AsStream();
            var passes = 0;
            var writing = Task.Factory.StartNew(() =>
            {
                for (; ; Interlocked.Increment(ref passes))
                {
                    stream.Position = 0;
                    try
                    {
                        stream.Write(fills[passes % 2]);
                    }
                    catch (InvalidOperationException)
                    {
                        return;
                    }
                }
            }, Cancellation, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            while (Volatile.Read(ref passes) < 2)
            {
                await Task.Yield();
            }

            var id = await writer.SealAsync(cancellationToken: Cancellation);

            using var handle = await client.GetAsync(id, cancellationToken: Cancellation);
            var lastAtSeal = handle.Blobs[0].Span[^1];
            await writing;
            Assert.Equal(lastAtSeal, handle.Blobs[0].Span[^1]);
            Assert.Equal(-1, handle.Blobs[0].Span.IndexOfAnyExcept(lastAtSeal));
        }
    }

    [Fact]
    public async Task A_blob_is_written_in_place_through_a_writable_mapping_and_read_back_through_the_read_only_one()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        const int size = (256 * 1024) + 100;
        using var writer = await client.CreateBlobAsync(size, Cancellation);
        writer.Span.Fill(9);
        var address = AddressOf(writer.Span);
        var written = MappingOf(address);
        Assert.True(written.Writable);

        var id = await writer.SealAsync(cancellationToken: Cancellation);

        using var handle = await client.GetAsync(id, cancellationToken: Cancellation);
        var read = MappingOf(handle.Blobs[0].Address);
        Assert.False(read.Writable);
        Assert.Equal(written.Name, read.Name);
        Assert.Equal(address - written.Start, handle.Blobs[0].Address - read.Start);
        Assert.Equal(-1, handle.Blobs[0].Span.IndexOfAnyExcept((byte)9));
    }

    [Fact]
    public async Task A_refused_seal_leaves_the_blob_writable_to_fix_and_seal_again()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        await client.PutAsync("first"u8.ToArray(), new PutOptions { Name = "taken" }, Cancellation);
        using var writer = await client.CreateBlobAsync(5, Cancellation);
        "again"u8.CopyTo(writer.Span);

        var refused = await Assert.ThrowsAsync<ObjectStoreException>(() => writer.SealAsync(new PutOptions { Name = "taken" }, cancellationToken: Cancellation));
        Assert.Equal(ObjectStoreErrorCode.NameTaken, refused.Code);
        Assert.False(writer.IsSealed);
        "fixed"u8.CopyTo(writer.Span);
        await writer.SealAsync(new PutOptions { Name = "free" }, cancellationToken: Cancellation);

        using var handle = await client.GetAsync("free", cancellationToken: Cancellation);
        Assert.Equal("fixed"u8.ToArray(), handle.Blobs[0].Span.ToArray());
    }

    [Fact]
    public async Task A_blob_goes_into_one_new_object_even_when_two_seals_race()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var writer = await client.CreateBlobAsync(5, Cancellation);
        "first"u8.CopyTo(writer.Span);

        var first = writer.SealAsync(new PutOptions { Name = "one" }, cancellationToken: Cancellation);
        var second = writer.SealAsync(new PutOptions { Name = "two" }, cancellationToken: Cancellation);

        Assert.Contains("already sealed", (await Assert.ThrowsAsync<InvalidOperationException>(() => second)).Message, StringComparison.Ordinal);
        var id = await first;
        Assert.True(writer.IsSealed);
        Assert.Throws<InvalidOperationException>(() => writer.Span.Length);
        Assert.Equal(id, (await client.StatAsync("one", Cancellation)).Meta.Id);
        Assert.Equal(ObjectStoreErrorCode.NameNotFound,
            (await Assert.ThrowsAsync<ObjectStoreException>(() => client.StatAsync("two", Cancellation))).Code);
    }

    [Fact]
    public async Task A_writer_disposed_while_its_seal_is_refused_gives_its_blob_back()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        await client.PutAsync("first"u8.ToArray(), new PutOptions { Name = "taken" }, Cancellation);
        var before = await client.GetStatsAsync(Cancellation);

        // Over the spare threshold, so that the daemon hands out exactly this blob.
        var writer = await client.CreateBlobAsync(1 << 20, Cancellation);
        var sealing = writer.SealAsync(new PutOptions { Name = "taken" }, cancellationToken: Cancellation);
        writer.Dispose();
        Assert.Equal(ObjectStoreErrorCode.NameTaken, (await Assert.ThrowsAsync<ObjectStoreException>(() => sealing)).Code);

        // The drop rides behind the next request; the one after it sees the memory free.
        await client.GetStatsAsync(Cancellation);
        var after = await client.GetStatsAsync(Cancellation);
        Assert.Equal((before.UnsealedBlobs, before.Used), (after.UnsealedBlobs, after.Used));
    }

    [Fact]
    public async Task Disposing_the_client_closes_its_unsealed_writers_whose_memory_the_daemon_takes_back()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        var client = await daemon.ConnectAsync(Cancellation);
        using var writer = await client.CreateBlobAsync(4096, Cancellation);
        writer.Span.Fill(1);
        var memory = writer.Memory;

        await client.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => writer.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => memory.Span.Fill(2));
        Assert.Throws<ObjectDisposedException>(() => writer.AsStream());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.CreateBlobAsync(10, Cancellation));
    }

    private static unsafe nint AddressOf(Span<byte> span)
    {
        fixed (byte* start = span)
        {
            return (nint)start;
        }
    }

    private static (string Name, bool Writable, nint Start, nint End) MappingOf(nint address) =>
        Assert.Single(ArenaMappings(), m => address >= m.Start && address < m.End);

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
