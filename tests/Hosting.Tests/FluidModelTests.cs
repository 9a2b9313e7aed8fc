using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>The application model AddFluid builds, inspected without running it.</summary>
public sealed class FluidModelTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void AddFluid_adds_etcd_the_api_server_the_controller_and_two_daemons_per_node()
    {
        var app = CreateBuilder();

        app.AddFluid("fluid").WithNodes(3);

        Assert.Equal(
            ["fluid", "fluid-apiserver", "fluid-cacheagent-0", "fluid-cacheagent-1", "fluid-cacheagent-2", "fluid-controller", "fluid-etcd",
                "fluid-objectstore-0", "fluid-objectstore-1", "fluid-objectstore-2"],
            app.Resources.Where(r => r.Name.StartsWith("fluid", StringComparison.Ordinal) && !r.Name.EndsWith("rebuilder", StringComparison.Ordinal))
                .Select(r => r.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Each_node_daemon_gets_its_node_name_locality_and_lease_ttl()
    {
        var app = CreateBuilder();

        var fluid = app.AddFluid("fluid")
            .WithNodes(2, node =>
            {
                node.Region = "eu-west";
                if (node.Index == 1)
                {
                    node.Name = "gpu-node";
                    node.Rack = "r7";
                    node.Labels["accelerator"] = "a100";
                }
            })
            .WithLeaseTtl(TimeSpan.FromSeconds(4));

        var first = await EnvironmentOf(fluid.Resource.Nodes[0].ObjectStore);
        var second = await EnvironmentOf(fluid.Resource.Nodes[1].CacheAgent);
        Assert.Equal("node-0", first["Fluid__Node__Name"]);
        Assert.Equal("zone-a", first["Fluid__Node__Zone"]);
        Assert.Equal("eu-west", first["Fluid__Node__Region"]);
        Assert.Equal("4", first["Fluid__Node__LeaseTtlSeconds"]);
        Assert.False(first.ContainsKey("Fluid__Node__Rack"));
        Assert.Equal("gpu-node", second["Fluid__Node__Name"]);
        Assert.Equal("zone-b", second["Fluid__Node__Zone"]);
        Assert.Equal("r7", second["Fluid__Node__Rack"]);
        Assert.Equal("a100", second["Fluid__Node__Labels__accelerator"]);
    }

    [Fact]
    public async Task A_state_directory_holds_the_stacks_certificates_kubeconfig_pod_logs_and_etcd_data_and_names_its_sockets()
    {
        var state = Path.Combine(_directory.Path, "stack-a");
        var fluid = CreateBuilder().AddFluid("fluid").WithNodes(2).WithStateDirectory(state);

        Assert.Equal(Path.Combine(state, "kubeconfig"), fluid.Resource.Kubeconfig);
        Assert.Equal(Path.Combine(state, "etcd"), fluid.Resource.Etcd.DataDirectory);
        Assert.Equal(Path.Combine(state, "tls"), (await EnvironmentOf(fluid.Resource.ApiServer))["Fluid__ApiServer__CertificateDirectory"]);
        Assert.Equal(Path.Combine(state, "pods", "node-1"), (await EnvironmentOf(fluid.Resource.Nodes[1].CacheAgent))["Fluid__Executor__LogsDirectory"]);
        Assert.Equal("/elsewhere/kubeconfig", fluid.WithKubeconfig("/elsewhere/kubeconfig").Resource.Kubeconfig);

        // Sockets of its own: a stack on another state directory, or on the default one, never meets these.
        var other = CreateBuilder().AddFluid("fluid").WithStateDirectory(Path.Combine(_directory.Path, "stack-b"));
        var defaults = CreateBuilder().AddFluid("fluid");
        Assert.Equal(3, new[] { fluid.Resource.SocketDirectory, other.Resource.SocketDirectory, defaults.Resource.SocketDirectory }.Distinct().Count());
        Assert.StartsWith(Path.Combine(ObjectStore.Ipc.SocketPaths.DefaultDirectory(), "fluid-"), fluid.Resource.SocketDirectory, StringComparison.Ordinal);
        Assert.Equal("/elsewhere/sockets", fluid.WithSocketDirectory("/elsewhere/sockets").Resource.SocketDirectory);
    }

    [Fact]
    public async Task The_object_stores_and_the_controller_read_the_token_file_of_the_state_directory()
    {
        var state = Path.Combine(_directory.Path, "stack-a");
        var fluid = CreateBuilder().AddFluid("fluid").WithNodes(2).WithStateDirectory(state);

        Assert.Equal(Path.Combine(state, "objectstore-token"), fluid.Resource.ObjectStoreTokenFile);
        foreach (var caller in new[] { fluid.Resource.Nodes[0].ObjectStore, fluid.Resource.Nodes[1].ObjectStore, fluid.Resource.Controller })
        {
            Assert.Equal(fluid.Resource.ObjectStoreTokenFile, (await EnvironmentOf(caller))["Fluid__ObjectStore__TokenFile"]);
        }
    }

    [Fact]
    public void Two_nodes_with_one_name_are_rejected()
    {
        var fluid = CreateBuilder().AddFluid("fluid");

        var error = Assert.Throws<ArgumentException>(() => fluid.WithNodes(2, node => node.Name = "same"));

        Assert.Contains("'same'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nodes_cannot_be_taken_away_once_added()
    {
        var fluid = CreateBuilder().AddFluid("fluid").WithNodes(3);

        var error = Assert.Throws<InvalidOperationException>(() => fluid.WithNodes(2));

        Assert.Contains("Call WithNodes once", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2.5)]
    [InlineData(600)]
    public void A_lease_ttl_out_of_range_is_rejected(double seconds)
    {
        var fluid = CreateBuilder().AddFluid("fluid");

        Assert.Throws<ArgumentOutOfRangeException>(() => fluid.WithLeaseTtl(TimeSpan.FromSeconds(seconds)));
    }

    private IDistributedApplicationBuilder CreateBuilder() =>
        DistributedApplication.CreateBuilder(["--Fluid:Etcd:Path=" + _directory.CreateFile("etcd")]);

    /// <summary>The environment the resource's callbacks produce, as far as it is plain text.</summary>
    private static async Task<Dictionary<string, string>> EnvironmentOf(ProjectResource resource)
    {
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run));
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return context.EnvironmentVariables
            .Where(v => v.Value is string)
            .ToDictionary(v => v.Key, v => (string)v.Value);
    }
}
