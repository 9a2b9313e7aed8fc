using Aspire.Hosting;
using Fluid.Aspire.Hosting.Etcd;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests;

public sealed class EtcdExecutableTests
{
    [Fact]
    public void Etcd_is_found_on_the_search_path()
    {
        using var directory = new TemporaryDirectory();
        var binary = directory.CreateFile("etcd");

        Assert.Equal(binary, EtcdExecutable.Locate(configuredPath: null, searchPath: $"/nonexistent{Path.PathSeparator}{directory.Path}"));
    }

    [Fact]
    public void A_missing_binary_fails_with_the_install_hint()
    {
        using var directory = new TemporaryDirectory();

        var error = Assert.Throws<DistributedApplicationException>(() => EtcdExecutable.Locate(null, directory.Path));

        Assert.Contains("etcd was not found on PATH", error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install etcd-server", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_path_that_does_not_exist_is_named_in_the_error()
    {
        var error = Assert.Throws<DistributedApplicationException>(() => EtcdExecutable.Locate("/opt/nowhere/etcd", "/usr/bin"));

        Assert.Contains("'/opt/nowhere/etcd'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fluid:Etcd:Path", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_AppHost_stops_at_once_with_the_install_hint_when_etcd_is_not_on_PATH()
    {
        using var emptyPath = new TemporaryDirectory();

        var (exitCode, output, message) = await AppHostRun.UntilExitAsync(
            ["--Fluid:Once=true"], new Dictionary<string, string?> { ["PATH"] = emptyPath.Path, ["Fluid__Etcd__Path"] = null });

        Assert.Equal(2, exitCode);
        Assert.Contains("etcd was not found on PATH", message, StringComparison.Ordinal);
        Assert.Contains("apt-get install etcd-server", message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Starting DCP", output, StringComparison.Ordinal);
    }
}
