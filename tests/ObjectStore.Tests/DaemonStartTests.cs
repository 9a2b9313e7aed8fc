using System.Text.RegularExpressions;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>What a started daemon has set up: its memory, faulted in on request, and its socket's permissions.</summary>
public sealed partial class DaemonStartTests
{
    private const long MiB = 1024 * 1024;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reserve_memory_faults_every_page_of_the_arenas_in_at_start_and_without_it_none_are()
    {
        await using var reserved = await ObjectStoreDaemon.StartAsync(Cancellation, size: "48Mi", options: ["--reserve-memory"]);
        await using var lazy = await ObjectStoreDaemon.StartAsync(Cancellation, size: "48Mi");

        Assert.True(SharedResident(reserved.Process.Id) >= 48 * MiB, $"reserved daemon: {SharedResident(reserved.Process.Id)} bytes of shared memory resident");
        Assert.True(SharedResident(lazy.Process.Id) < 16 * MiB, $"lazy daemon: {SharedResident(lazy.Process.Id)} bytes of shared memory resident");
    }

    [Fact]
    public async Task The_socket_is_readable_and_writable_by_its_owner_and_group_only()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);

        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            File.GetUnixFileMode(daemon.SocketPath));
    }

    /// <summary>RssShmem: the shared-memory pages a process has in its page tables.</summary>
    private static long SharedResident(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("RssShmem:", StringComparison.Ordinal));
        return long.Parse(Kilobytes().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    [GeneratedRegex(@"(\d+)\s*kB")]
    private static partial Regex Kilobytes();
}
