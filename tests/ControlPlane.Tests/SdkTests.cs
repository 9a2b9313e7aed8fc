using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ControlPlane.Tests;

/// <summary>A program written with the SDK, run as a user runs it: its method steps hand data along through the object store.</summary>
public sealed class SdkTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_flow_of_method_steps_hands_a_tensor_from_step_to_step_and_cleans_up_after_itself()
    {
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);

        await using var program = ChildProcess.StartDotnet(RepositoryPaths.Output("tests/ControlPlane.FlowProgram", "Fluid.Aspire.ControlPlane.FlowProgram"),
            ["sdk"], new Dictionary<string, string?> { ["ConnectionStrings__fluid"] = cluster.ConnectionString });
        var exitCode = await program.WaitForExitAsync(TimeSpan.FromMinutes(3), Cancellation);

        Assert.True(exitCode == 0, program.Output + "\n--- controller ---\n" + cluster.Controller.Output);
        Assert.Contains("RESULT ok steps=3", program.Output, StringComparison.Ordinal);
        var log = await File.ReadAllTextAsync(Path.Combine(cluster.LogsDirectory, "default", "sdk-step2.log"), Cancellation);
        Assert.Contains("checked: 100000 numbers came through doubled", log, StringComparison.Ordinal);
        await Eventually.ReturnsAsync(() => StoredResources.KeysAsync(cluster.Etcd.ConnectionString(), Cancellation), keys => keys.Length == 0, TimeSpan.FromSeconds(60),
            "nothing left in etcd: no dataset, runtime, step or event", Cancellation);
        foreach (var store in cluster.ObjectStores)
        {
            await using var client = await store.ConnectAsync(Cancellation);
            Assert.Equal(0, (await client.GetStatsAsync(Cancellation)).Objects);
        }
    }
}
