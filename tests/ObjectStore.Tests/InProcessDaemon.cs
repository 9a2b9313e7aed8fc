using Fluid.Aspire.ObjectStore.Daemon;
using Microsoft.AspNetCore.Builder;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>A daemon hosted in the test's own process, for tests that observe it through in-process APIs or stop it.</summary>
internal static class InProcessDaemon
{
    /// <summary>A 16 MiB daemon for node-0 serving <paramref name="socketPath"/>, built but not started.</summary>
    public static WebApplication Build(string socketPath) => DaemonHost.Build(new Dictionary<string, string?>
    {
        ["Fluid:ObjectStore:Size"] = "16Mi",
        ["Fluid:ObjectStore:Socket"] = socketPath,
        ["Fluid:Node:Name"] = "node-0",
    });
}
