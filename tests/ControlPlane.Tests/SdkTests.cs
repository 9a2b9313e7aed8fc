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
        await Eventually.ReturnsAsync(() => StoredResources.KeysAsync(cluster.Etcd.ConnectionString(), Cancellation), keys => keys.Length == 0, TimeSpan.FromSeconds(60),
            "nothing left in etcd: no dataset, runtime, step or event", Cancellation);
        foreach (var store in cluster.ObjectStores)
        {
            await using var client = await store.ConnectAsync(Cancellation);
            Assert.Equal(0, (await client.GetStatsAsync(Cancellation)).Objects);
        }
    }

    [Fact]
    public async Task A_program_connects_to_the_object_store_its_socket_setting_names_before_any_found_by_machine_name_in_the_registry_its_settings_or_kubeconfig_name()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var first = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-0");
        await using var second = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1");
        await using var api = await ApiServerProcess.StartAsync(etcd, Cancellation);
        var connection = $"{etcd.ConnectionString()};Kubeconfig={api.KubeconfigPath}";

        // As on a cluster, where a pod's host name is not its node's: the socket is named outright.
        using (var named = new Sdk.FluidClient(new Sdk.ClientConfig { ConnectionString = connection, ObjectStoreSocket = second.SocketPath }))
        {
            await using var store = await named.ConnectObjectStoreAsync(Cancellation);
            await store.PutAsync(new byte[] { 1, 2, 3 }, cancellationToken: Cancellation);
        }

        // Without it, the registry's first store of this machine, by node name.
        using (var found = new Sdk.FluidClient(new Sdk.ClientConfig { ConnectionString = connection, ObjectStoreSocket = null }))
        {
            await using var store = await found.ConnectObjectStoreAsync(Cancellation);
            await store.PutAsync(new byte[] { 4, 5 }, cancellationToken: Cancellation);
            await store.PutAsync(new byte[] { 6 }, cancellationToken: Cancellation);
        }

        // With nothing but the stack's kubeconfig (as a notebook beside ./run.sh has), which names the registry.
        using var directory = new TemporaryDirectory();
        using (var bare = new Sdk.FluidClient(new Sdk.ClientConfig
        {
            KubeConfigFile = api.KubeconfigPath, ObjectStoreSocket = null, ConfigFile = Path.Combine(directory.Path, "config.json"),
        }))
        {
            Assert.Null(bare.Connection);
            await using var store = await bare.ConnectObjectStoreAsync(Cancellation);
            await store.PutAsync(new byte[] { 7 }, cancellationToken: Cancellation);
        }

        await using var onSecond = await second.ConnectAsync(Cancellation);
        await using var onFirst = await first.ConnectAsync(Cancellation);
        Assert.Equal(1, (await onSecond.GetStatsAsync(Cancellation)).Objects);
        Assert.Equal(3, (await onFirst.GetStatsAsync(Cancellation)).Objects);
    }
}
