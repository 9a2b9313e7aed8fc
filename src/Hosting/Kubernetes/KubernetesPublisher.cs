using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using k8s;
using k8s.Models;
using Fluid.Aspire.Contracts.Schema;
using Fluid.Aspire.Hosting.Etcd;
using Fluid.Aspire.Hosting.Kubernetes.Helm;
using Fluid.Aspire.Hosting.Kubernetes.Mapping;

namespace Fluid.Aspire.Hosting.Kubernetes;

/// <summary>
/// Turns the app model into the objects of one Kubernetes environment: each Fluid stack as its etcd, controller and
/// node daemons, every other project or container as a Deployment or a Job, and the stack's CRDs. The same build runs
/// twice, once with chart placeholders and once with the defaults, so that the chart and the manifests cannot drift.
/// </summary>
internal sealed class KubernetesPublisher(
    KubernetesEnvironmentResource environment, DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext)
{
    /// <summary>Every workload of the environment, customized, and the CRDs its stacks need.</summary>
    public async Task<KubernetesOutput> BuildAsync(ChartValues values, CancellationToken cancellationToken)
    {
        var builder = new WorkloadBuilder(values);
        var resources = Published().ToList();
        var references = new ClusterReferences([.. resources, .. resources.OfType<FluidResource>().SelectMany(f => f.Components)]);
        var workloads = new List<KubernetesWorkload>();
        foreach (var resource in resources)
        {
            if (resource is FluidResource fluid)
            {
                foreach (var workload in FluidStackMapping.Map(fluid, builder))
                {
                    Customize(workload, fluid, ComponentOf(fluid, workload));
                    workloads.Add(workload);
                }

                continue;
            }

            var mapped = await ComputeMapping.MapAsync((IResourceWithEnvironment)resource, builder, references, executionContext, cancellationToken).ConfigureAwait(false);
            Customize(mapped, resource);
            workloads.Add(mapped);
        }

        var clash = workloads.SelectMany(w => w.Objects()).GroupBy(o => (o.Kind, o.Metadata.Name)).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw new DistributedApplicationException(
                $"Two objects of the Kubernetes environment '{environment.Name}' are the {clash.Key.Kind} '{clash.Key.Name}'; rename one of the resources they come from.");
        }

        var crds = resources.OfType<FluidResource>().Any() ? CustomResourceDefinitions.All : [];
        return new KubernetesOutput(workloads, crds);
    }

    /// <summary>
    /// The resources this environment publishes, in the model's order: compute resources assigned to it (or to no
    /// environment) and the Fluid stacks, less what a stack runs itself and what is excluded from publishing.
    /// </summary>
    private IEnumerable<IResource> Published()
    {
        var stackComponents = model.Resources.OfType<FluidResource>().SelectMany(f => f.Components).ToHashSet();
        foreach (var resource in model.Resources)
        {
            if (resource is IComputeEnvironmentResource or ParameterResource || stackComponents.Contains(resource) || resource.IsExcludedFromPublish())
            {
                continue;
            }

            if (resource.GetComputeEnvironment() is { } target && target != environment)
            {
                continue;
            }

            if (resource is FluidResource or ProjectResource or ContainerResource)
            {
                yield return resource;
            }
            else if (resource is ExecutableResource)
            {
                throw ClusterReferences.Unmappable(resource, "the resource", "it is an executable, and a cluster runs only containers",
                    "publish it as a container (PublishAsDockerFile, or AddContainer in publish mode), or leave it out with ExcludeFromManifest()");
            }
        }
    }

    /// <summary>The stack's own component a workload comes from, whose customizations apply to it besides the stack's.</summary>
    private static IResource? ComponentOf(FluidResource fluid, KubernetesWorkload workload) =>
        workload.Name == fluid.Etcd.Name ? fluid.Etcd
        : workload.Name == fluid.Controller.Name ? fluid.Controller
        : null;

    private static void Customize(KubernetesWorkload workload, params IResource?[] sources)
    {
        foreach (var source in sources)
        {
            foreach (var annotation in source?.Annotations.OfType<KubernetesWorkloadAnnotation>() ?? [])
            {
                annotation.Customize(workload);
            }
        }
    }
}

/// <summary>What an environment publishes: its workloads and the CRDs they need.</summary>
internal sealed record KubernetesOutput(IReadOnlyList<KubernetesWorkload> Workloads, IReadOnlyList<V1CustomResourceDefinition> CustomResourceDefinitions);

/// <summary>A customization of the objects a resource becomes, from <see cref="KubernetesEnvironmentExtensions.PublishAsKubernetesWorkload{T}"/>.</summary>
internal sealed class KubernetesWorkloadAnnotation(Action<KubernetesWorkload> customize) : IResourceAnnotation
{
    public Action<KubernetesWorkload> Customize { get; } = customize;
}
