using Aspire.Hosting;
using Fluid.Aspire.Hosting.Kubernetes;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests.Kubernetes;

/// <summary>A resource that has no cluster form stops publishing with a message that names it and the fix.</summary>
public sealed class UnmappableResourceTests
{
    [Fact]
    public async Task An_executable_without_a_container_image_is_named_with_the_fix()
    {
        var error = await PublishFailsAsync(builder => builder.AddExecutable("report-tool", "/usr/bin/report", "."));
        Assert.Contains("'report-tool'", error, StringComparison.Ordinal);
        Assert.Contains("executable", error, StringComparison.Ordinal);
        Assert.Contains("PublishAsDockerFile", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bind_mount_is_named_with_the_host_path_and_the_fix()
    {
        var error = await PublishFailsAsync(builder => builder.AddContainer("cache", "redis", "7").WithBindMount("/srv/cache", "/data"));
        Assert.Contains("'cache'", error, StringComparison.Ordinal);
        Assert.Contains("'/srv/cache'", error, StringComparison.Ordinal);
        Assert.Contains("PublishAsKubernetesWorkload", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_endpoint_without_a_port_is_named_with_the_fix()
    {
        var error = await PublishFailsAsync(builder => builder.AddContainer("web", "nginx", "1.27").WithEndpoint(name: "site", scheme: "http"));
        Assert.Contains("'web'", error, StringComparison.Ordinal);
        Assert.Contains("endpoint 'site'", error, StringComparison.Ordinal);
        Assert.Contains("TargetPort", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_container_with_an_image_and_ports_publishes_and_a_callback_sees_its_typed_objects()
    {
        using var directory = new TemporaryDirectory();
        var builder = InProcessPublish.Builder(directory.CreateFile("etcd"));
        builder.AddContainer("web", "nginx", "1.27").WithHttpEndpoint(targetPort: 80, name: "site")
            .PublishAsKubernetesWorkload(workload => workload.Container.Resources = new k8s.Models.V1ResourceRequirements
            {
                Limits = new Dictionary<string, k8s.Models.ResourceQuantity> { ["memory"] = new("64Mi") },
            });
        var output = await InProcessPublish.BuildAsync(builder);

        var web = Assert.Single(output.Workloads, w => w.Name == "web");
        var deployment = Assert.IsType<k8s.Models.V1Deployment>(web.Workload);
        Assert.Equal("nginx:1.27", deployment.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("64Mi", web.Container.Resources.Limits["memory"].ToString());
        Assert.Equal("site", web.Service!.Spec.Ports.Single().TargetPort.Value);
        Assert.Equal(80, deployment.Spec.Template.Spec.Containers[0].Ports.Single().ContainerPort);
    }

    [Fact]
    public async Task A_reference_to_a_second_endpoint_uses_the_port_its_Service_exposes()
    {
        using var directory = new TemporaryDirectory();
        var builder = InProcessPublish.Builder(directory.CreateFile("etcd"));
        var project = Path.Combine(RepositoryPaths.Root, "src", "CacheAgent", "Fluid.Aspire.CacheAgent.csproj");
        var api = builder.AddProject("api", project).WithHttpEndpoint(name: "web").WithHttpEndpoint(name: "admin");
        builder.AddProject("client", project).WithEnvironment("ADMIN_URL", api.GetEndpoint("admin"));

        var output = await InProcessPublish.BuildAsync(builder);

        var service = Assert.Single(output.Workloads, w => w.Name == "api").Service!;
        Assert.Equal([("web", 8080), ("admin", 8081)], service.Spec.Ports.Select(p => (p.Name, p.Port)));
        Assert.Equal("http://api:8081", Assert.Single(output.Workloads, w => w.Name == "client").ConfigMap!.Data["ADMIN_URL"]);
    }

    private static async Task<string> PublishFailsAsync(Action<IDistributedApplicationBuilder> add)
    {
        using var directory = new TemporaryDirectory();
        var builder = InProcessPublish.Builder(directory.CreateFile("etcd"));
        add(builder);
        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => InProcessPublish.BuildAsync(builder));
        return error.Message;
    }
}
