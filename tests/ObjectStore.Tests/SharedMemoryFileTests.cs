using System.Runtime.InteropServices;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>Arenas are sealed memfds: shared between processes, never resized, and nothing else.</summary>
public sealed class SharedMemoryFileTests
{
    private const int EPERM = 1;
    private const int ENOMEM = 12;
    private const int EACCES = 13;
    private const int EINVAL = 22;
    private const int ENOSYS = 38;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_daemon_shares_bytes_between_processes_through_memfds()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var writer = daemon.StartTestClient("put", "shared", $"{300 * 1024}", "7");
        Assert.Equal(0, await writer.WaitForExitAsync(TimeSpan.FromSeconds(60), Cancellation));
        var expected = new byte[300 * 1024];
        new Random(7).NextBytes(expected);

        await using var client = await daemon.ConnectAsync(Cancellation);
        using var handle = await client.GetAsync("shared", cancellationToken: Cancellation);
        var stats = await client.GetStatsAsync(Cancellation);

        Assert.True(handle.Blobs[0].Span.SequenceEqual(expected));
        Assert.Equal("memfd", stats.Backend);
        var address = handle.Blobs[0].Address;
        var mapping = File.ReadLines("/proc/self/maps").Single(line =>
        {
            var range = line.Split(' ')[0].Split('-');
            return address >= (nint)Convert.ToInt64(range[0], 16) && address < (nint)Convert.ToInt64(range[1], 16);
        });
        Assert.Contains("memfd:fluid-arena-", mapping, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_is_sealed_against_shrinking_growing_and_further_seals_but_not_against_writes()
    {
        using var file = SharedMemoryFile.Create("fluid-seal-test", 1 << 20);
        using var mapping = MemoryMapping.Map(file.Descriptor, file.Size, writable: true);

        Assert.Equal(SharedMemoryFile.Seals, file.GetSeals());
        Assert.Equal(-1, LibC.Ftruncate(file.Descriptor, 0));
        Assert.Equal(EPERM, Marshal.GetLastPInvokeError());
        Assert.Equal(-1, LibC.Ftruncate(file.Descriptor, 2 << 20));
        Assert.Equal(EPERM, Marshal.GetLastPInvokeError());
        Assert.True(file.TryCommit(0, file.Size));
        unsafe
        {
            var bytes = new Span<byte>(mapping.At(0, file.Size), (int)file.Size);
            bytes.Fill(9);
            Assert.Equal(9, bytes[^1]);
        }
    }

    [Theory]
    [InlineData(ENOSYS)]
    [InlineData(EPERM)]
    [InlineData(EACCES)]
    [InlineData(EINVAL)]
    public void A_refused_memfd_create_is_an_error_that_says_what_to_allow(int errno)
    {
        var error = Assert.Throws<IOException>(() => SharedMemoryFile.Create("fluid-refused-test", 1 << 20, Refused(errno)));

        Assert.Contains($"memfd_create was refused ({Marshal.GetPInvokeErrorMessage(errno)})", error.Message, StringComparison.Ordinal);
        Assert.Contains("allowed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_memfd_create_that_fails_for_lack_of_memory_says_so()
    {
        var error = Assert.Throws<IOException>(() => SharedMemoryFile.Create("fluid-refused-test", 1 << 20, Refused(ENOMEM)));

        Assert.Equal($"memfd_create failed: {Marshal.GetPInvokeErrorMessage(ENOMEM)}.", error.Message);
    }

    private static Func<string, uint, int> Refused(int errno) => (_, _) =>
    {
        Marshal.SetLastPInvokeError(errno);
        return -1;
    };
}
