using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Fluid.Aspire.Hosting.Kubernetes.Helm;

namespace Fluid.Aspire.Hosting.Kubernetes;

/// <summary>
/// Publishes the app model to Kubernetes: <c>aspire publish</c> writes a Helm chart and plain manifests, <c>aspire
/// deploy</c> installs the chart. Shaped like Aspire's own Kubernetes integration, under names that do not collide
/// with its extension methods when both are imported.
/// </summary>
public static class KubernetesEnvironmentExtensions
{
    /// <summary>
    /// Adds a Kubernetes environment. <c>aspire publish -o DIR</c> then writes <c>DIR/chart</c> and
    /// <c>DIR/manifests</c> (step <c>publish-{name}</c>), and <c>aspire deploy</c> installs the chart with Helm (step
    /// <c>deploy-{name}</c>). Aspire's counterpart is <c>AddKubernetesEnvironment</c>.
    /// </summary>
    public static IResourceBuilder<FluidKubernetesEnvironmentResource> AddFluidKubernetesEnvironment(
        this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var environment = new FluidKubernetesEnvironmentResource(name);
        var resource = builder.AddResource(environment).ExcludeFromManifest();
        if (!builder.ExecutionContext.IsPublishMode)
        {
            // Nothing to run: an environment only shapes what publishing writes, so the dashboard does not list it.
            return resource.WithHidden();
        }

        return resource.WithAnnotation(new PipelineStepAnnotation(_ =>
        [
            new PipelineStep
            {
                Name = environment.PublishStepName,
                Description = $"Writes the Helm chart and the manifests of the Kubernetes environment '{name}'.",
                Action = context => ExitNonZeroOnFailure(() => PublishAsync(environment, context)),
                DependsOnSteps = [WellKnownPipelineSteps.PublishPrereq],
                RequiredBySteps = [WellKnownPipelineSteps.Publish],
                Resource = environment,
            },
            new PipelineStep
            {
                Name = environment.DeployStepName,
                Description = $"Installs the chart of the Kubernetes environment '{name}' with helm upgrade --install.",
                Action = context => ExitNonZeroOnFailure(() => HelmDeployer.DeployAsync(environment, OutputDirectory(context), context)),
                DependsOnSteps = [environment.PublishStepName, WellKnownPipelineSteps.DeployPrereq],
                RequiredBySteps = [WellKnownPipelineSteps.Deploy],
                Resource = environment,
            },
        ]));
    }

    /// <summary>Names the chart and where <c>aspire deploy</c> installs it; Aspire's counterpart is <c>WithHelm</c>.</summary>
    public static IResourceBuilder<FluidKubernetesEnvironmentResource> WithHelmChart(
        this IResourceBuilder<FluidKubernetesEnvironmentResource> builder, Action<HelmChartSettings> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        configure(builder.Resource.HelmChart);
        return builder;
    }

    /// <summary>
    /// Changes the Kubernetes objects this resource becomes before they are written, as KubernetesClient's typed
    /// models. On a Fluid stack the callback sees each of its workloads (etcd, the controller, the object store and
    /// the cache agent); tell them apart by <see cref="KubernetesWorkload.Name"/>. The callback runs once for the chart
    /// and once for the manifests, so it must do the same both times. Aspire's counterpart is
    /// <c>PublishAsKubernetesService</c>.
    /// </summary>
    public static IResourceBuilder<T> PublishAsKubernetesWorkload<T>(this IResourceBuilder<T> builder, Action<KubernetesWorkload> configure)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return builder.WithAnnotation(new KubernetesWorkloadAnnotation(configure));
    }

    private static async Task PublishAsync(FluidKubernetesEnvironmentResource environment, PipelineStepContext context)
    {
        var directory = OutputDirectory(context);
        var task = await context.ReportingStep.CreateTaskAsync($"Writing the chart and manifests of '{environment.Name}' to {directory}", context.CancellationToken).ConfigureAwait(false);
        await using (task.ConfigureAwait(false))
        {
            var publisher = new KubernetesPublisher(environment, context.Model, context.ExecutionContext);
            await OutputWriter.WriteAsync(publisher, environment.HelmChart, directory, context.CancellationToken).ConfigureAwait(false);
            await task.CompleteAsync($"Wrote {Path.Combine(directory, "chart")} and {Path.Combine(directory, "manifests")}", CompletionState.Completed, context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Aspire reports a failed step to the Aspire CLI, but an AppHost run directly (<c>dotnet run -- --operation
    /// publish</c>) would still exit with 0: scripts and CI would take a failed publish for a good one.
    /// </summary>
    private static async Task ExitNonZeroOnFailure(Func<Task> step)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch
        {
            Environment.ExitCode = 1;
            throw;
        }
    }

    private static string OutputDirectory(PipelineStepContext context) =>
        context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
}
