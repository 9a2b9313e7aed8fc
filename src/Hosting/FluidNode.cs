using Aspire.Hosting.ApplicationModel;

namespace Fluid.Aspire.Hosting;

/// <summary>A simulated node: its name and locality, and the daemons that run on it.</summary>
public sealed record FluidNode(FluidNodeOptions Options, ProjectResource ObjectStore, ProjectResource CacheAgent, FluidResource Stack)
{
    public string Name => Options.Name;

    /// <summary>The Unix socket of the node's object store, which steps on the node connect to.</summary>
    public string ObjectStoreSocket => Path.Combine(Stack.SocketDirectory, $"{Name}.sock");

    /// <summary>The Unix socket of the node's cache agent, where steps on the node read datasets.</summary>
    public string CacheAgentSocket => Path.Combine(Stack.SocketDirectory, $"{Name}.cache.sock");
}

/// <summary>How one simulated node is named and placed; change it in the callback of <c>WithNodes</c>.</summary>
public sealed class FluidNodeOptions
{
    internal FluidNodeOptions(int index)
    {
        Index = index;
        Name = $"node-{index}";
        // Alternate two zones in one region, so that zone-level locality can be tried with two nodes.
        Zone = $"zone-{(char)('a' + (index % 2))}";
        Region = "local";
    }

    /// <summary>The node's position, from 0.</summary>
    public int Index { get; }

    /// <summary>The node name; <c>node-&lt;index&gt;</c> by default.</summary>
    public string Name { get; set; }

    /// <summary>The zone label (<c>topology.kubernetes.io/zone</c>); <c>zone-a</c> and <c>zone-b</c> alternate by default.</summary>
    public string? Zone { get; set; }

    /// <summary>The region label (<c>topology.kubernetes.io/region</c>); <c>local</c> by default.</summary>
    public string? Region { get; set; }

    /// <summary>The rack label (<c>fluid.io/rack</c>); none by default.</summary>
    public string? Rack { get; set; }

    /// <summary>Further node labels.</summary>
    public IDictionary<string, string> Labels { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
