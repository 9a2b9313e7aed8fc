using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using k8s.Models;
using Fluid.Aspire.Contracts.Schema;
using Fluid.Aspire.Hosting.Kubernetes.Helm;
using Fluid.Aspire.Hosting.Kubernetes.Mapping;

namespace Fluid.Aspire.Hosting.Kubernetes;

/// <summary>
/// Turns the app model into the objects of one Kubernetes environment: each Fluid stack as its etcd, controller and
/// node daemons, every other project or container as a Deployment or a Job, and the stack's CRDs. The same build runs
/// twice, once with chart placeholders and once with the defaults, so that the chart and the manifests cannot drift.
/// </summary>
internal sealed class KubernetesPublisher(
    FluidKubernetesEnvironmentResource environment, DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext)
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
                    Customize(workload, [fluid, .. ComponentsOf(fluid, workload)]);
                    workloads.Add(workload);
                }

                continue;
            }

            var mapped = await ComputeMapping.MapAsync((IResourceWithEnvironment)resource, builder, references, executionContext, cancellationToken).ConfigureAwait(false);
            Customize(mapped, [resource]);
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

    /// <summary>
    /// The stack's own resources a workload comes from, whose customizations apply to it after the stack's: etcd, the
    /// controller, or every simulated node's daemon of the DaemonSet's kind.
    /// </summary>
    private static IEnumerable<IResource> ComponentsOf(FluidResource fluid, KubernetesWorkload workload) =>
        workload.Name == fluid.Etcd.Name ? [fluid.Etcd]
        : workload.Name == fluid.Controller.Name ? [fluid.Controller]
        : workload.Name == StackComponent.ObjectStore.NameIn(fluid) ? fluid.Nodes.Select(n => n.ObjectStore)
        : workload.Name == StackComponent.CacheAgent.NameIn(fluid) ? fluid.Nodes.Select(n => n.CacheAgent)
        : [];

    private static void Customize(KubernetesWorkload workload, IEnumerable<IResource> sources)
    {
        foreach (var annotation in sources.SelectMany(source => source.Annotations.OfType<KubernetesWorkloadAnnotation>()))
        {
            annotation.Customize(workload);
        }

        CheckValueBlocks(workload);
    }

    /// <summary>
    /// A node selector or toleration list that is a chart value must stay whole: an entry a callback added beside it
    /// would stand next to Helm's <c>toYaml</c> output and break the chart.
    /// </summary>
    private static void CheckValueBlocks(KubernetesWorkload workload)
    {
        var pod = workload.PodTemplate.Spec;
        var mixed = (pod.NodeSelector?.Count > 1 && pod.NodeSelector.Keys.Any(ChartValues.IsBlock) ? "nodeSelector" : null)
            ?? (pod.Tolerations?.Count > 1 && pod.Tolerations.Any(t => ChartValues.IsBlock(t.Key)) ? "tolerations" : null);
        if (mixed is not null)
        {
            throw new DistributedApplicationException(
                $"The {mixed} of '{workload.Name}' is a chart value (parameters.{Mapping.WorkloadBuilder.ValuesKey(workload.Name)}.{mixed}), and a customization " +
                $"added entries beside it. Set them in values.yaml, or replace the whole {mixed} in the callback (which makes it fixed).");
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
