using System.Runtime.InteropServices;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>Arenas are memfds, or unlinked files in /dev/shm where memfd_create is refused; both serve alike.</summary>
public sealed class SharedMemoryBackendTests
{
    private const int EPERM = 1;
    private const int ENOMEM = 12;
    private const int EACCES = 13;
    private const int EINVAL = 22;
    private const int ENOSYS = 38;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Memfd", "memfd:fluid-arena-")]
    [InlineData("Shm", "/dev/shm/fluid-arena-")]
    public async Task Each_backend_shares_bytes_between_processes(string backend, string mappedName)
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, options: ["--memory-backend", backend]);
        await using var writer = daemon.StartTestClient("put", "shared", $"{300 * 1024}", "7");
        Assert.Equal(0, await writer.WaitForExitAsync(TimeSpan.FromSeconds(60), Cancellation));
        var expected = new byte[300 * 1024];
        new Random(7).NextBytes(expected);

        await using var client = await daemon.ConnectAsync(Cancellation);
        using var handle = await client.GetAsync("shared", cancellationToken: Cancellation);
        var stats = await client.GetStatsAsync(Cancellation);

        Assert.True(handle.Blobs[0].Span.SequenceEqual(expected));
        Assert.Equal(backend.ToLowerInvariant(), stats.Backend);
        var address = handle.Blobs[0].Address;
        var mapping = File.ReadLines("/proc/self/maps").Single(line =>
        {
            var range = line.Split(' ')[0].Split('-');
            return address >= (nint)Convert.ToInt64(range[0], 16) && address < (nint)Convert.ToInt64(range[1], 16);
        });
        Assert.Contains(mappedName, mapping, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ENOSYS)]
    [InlineData(EPERM)]
    [InlineData(EACCES)]
    [InlineData(EINVAL)]
    public void A_refused_memfd_create_falls_back_to_an_unlinked_file_in_dev_shm_and_says_why(int errno)
    {
        using var file = SharedMemoryFile.Create("fluid-fallback-test", 1 << 20, SharedMemoryBackend.Auto, "/dev/shm", Refused(errno));

        Assert.Equal(SharedMemoryBackend.Shm, file.Backend);
        Assert.Contains("memfd_create was refused", file.FallbackReason, StringComparison.Ordinal);
        Assert.Contains(Marshal.GetPInvokeErrorMessage(errno), file.FallbackReason, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetFiles("/dev/shm"), path => path.Contains($"fluid-fallback-test-{Environment.ProcessId}-", StringComparison.Ordinal));
        using var mapping = MemoryMapping.Map(file.Descriptor, file.Size, writable: true);
        Assert.True(file.TryCommit(0, file.Size));
    }

    [Fact]
    public void A_memfd_create_that_fails_for_lack_of_memory_is_an_error_not_a_fallback()
    {
        var error = Assert.Throws<IOException>(() =>
            SharedMemoryFile.Create("fluid-fallback-test", 1 << 20, SharedMemoryBackend.Auto, "/dev/shm", Refused(ENOMEM)));

        Assert.Contains("memfd_create failed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Asking_for_memfd_alone_never_falls_back()
    {
        Assert.Throws<IOException>(() =>
            SharedMemoryFile.Create("fluid-fallback-test", 1 << 20, SharedMemoryBackend.Memfd, "/dev/shm", Refused(EPERM)));
    }

    [Fact]
    public void Memfd_is_used_when_the_kernel_allows_it()
    {
        using var file = SharedMemoryFile.Create("fluid-fallback-test", 1 << 20);
        Assert.SkipWhen(file.FallbackReason is not null,
            $"This machine refuses memfd_create ({file.FallbackReason}); the fallback tests above cover it.");

        Assert.Equal(SharedMemoryBackend.Memfd, file.Backend);
        Assert.Null(file.FallbackReason);
    }

    private static Func<string, uint, int> Refused(int errno) => (_, _) =>
    {
        Marshal.SetLastPInvokeError(errno);
        return -1;
    };
}
