using Fluid.Aspire.TestSupport;
using Fluid.Sdk;

namespace Fluid.Aspire.ControlPlane.Tests;

/// <summary>What the flow tests share: a client on a cluster, a dataset, and steps that leave a trace in a file.</summary>
internal static class Flows
{
    public static FluidClient Client(LocalCluster cluster) => new(new ClientConfig { ConnectionString = cluster.ConnectionString });

    /// <summary>A step that appends its name to <paramref name="trace"/>, after <paramref name="script"/>.</summary>
    public static Processor Step(string name, string trace, string script = "") =>
        Processor.FromCommand("bash", ["-c", $"set -e\n{script}\necho {name} >> '{trace}'"]);

    public static async Task<FluidDataset> BoundDatasetAsync(FluidClient client, string name, TemporaryDirectory data, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(Path.Combine(data.Path, "rows.csv"), "x,y\n1,2\n", cancellationToken);
        var dataset = await client.CreateDatasetAsync(name, $"local://{data.Path}", cancellationToken: cancellationToken);
        return await dataset.BindRuntimeAsync(RuntimeKind.ObjectStore, replicas: 2, cacheCapacityGiB: 0.03125, timeout: TimeSpan.FromSeconds(60),
            cancellationToken: cancellationToken);
    }
}
