using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.CacheAgent.Client;

/// <summary>What the controller asks a node's cache agent to serve: one cache runtime's dataset, with the runtime's tiers.</summary>
public sealed class CacheAssignment
{
    /// <summary>The dataset's spec: its mounts are what the agent reads and caches.</summary>
    public DatasetSpec Dataset { get; set; } = new();

    /// <summary>The runtime's tiers; the agent's default (one MEM level) when null.</summary>
    public TieredStore? TieredStore { get; set; }

    /// <summary>
    /// Each mount's encrypt options with their values read from their secrets, by the mount's index in
    /// <see cref="DatasetSpec.Mounts"/>. The agent keeps them in memory only and never logs or reports them.
    /// </summary>
    public List<Dictionary<string, string>> MountSecrets { get; set; } = [];
}
