using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Fluid.Aspire.Hosting.Kubernetes;
using Fluid.Aspire.Hosting.Kubernetes.Helm;
using Microsoft.Extensions.DependencyInjection;

namespace Fluid.Aspire.Hosting.Tests.Kubernetes;

/// <summary>An app model of a test's own, built in publish mode with a Kubernetes environment, published without a process.</summary>
internal static class InProcessPublish
{
    /// <summary>A builder in publish mode with the environment <c>k8s</c>; <paramref name="etcd"/> stands for the etcd binary.</summary>
    public static IDistributedApplicationBuilder Builder(string etcd)
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish", "--step", "publish", "--Fluid:Etcd:Path=" + etcd]);
        builder.AddFluidKubernetesEnvironment("k8s");
        return builder;
    }

    /// <summary>The objects the model becomes, with the default values.</summary>
    public static Task<KubernetesOutput> BuildAsync(IDistributedApplicationBuilder builder) =>
        WithPublisherAsync(builder, (publisher, _) => publisher.BuildAsync(ChartValues.ForManifests(), TestContext.Current.CancellationToken));

    /// <summary>Writes the chart and the manifests into <paramref name="output"/>, as the publish step does.</summary>
    public static Task WriteAsync(IDistributedApplicationBuilder builder, string output) =>
        WithPublisherAsync(builder, async (publisher, environment) =>
        {
            await OutputWriter.WriteAsync(publisher, environment.HelmChart, output, TestContext.Current.CancellationToken);
            return true;
        });

    private static async Task<T> WithPublisherAsync<T>(IDistributedApplicationBuilder builder, Func<KubernetesPublisher, FluidKubernetesEnvironmentResource, Task<T>> use)
    {
        await using var app = builder.Build();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var environment = model.Resources.OfType<FluidKubernetesEnvironmentResource>().Single();
        return await use(new KubernetesPublisher(environment, model, app.Services.GetRequiredService<DistributedApplicationExecutionContext>()), environment);
    }
}
