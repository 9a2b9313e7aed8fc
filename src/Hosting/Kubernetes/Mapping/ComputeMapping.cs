using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using k8s.Models;

namespace Fluid.Aspire.Hosting.Kubernetes.Mapping;

/// <summary>
/// A project or container of the app model that is not part of a Fluid stack: a Deployment with a Service when it
/// serves endpoints, and a Job when it serves none (a pipeline program, which runs to completion).
/// </summary>
/// <remarks>
/// Its environment and arguments are evaluated as Aspire evaluates them for publishing, with every reference
/// rewritten for the cluster (<see cref="ClusterReferences"/>). Plain settings go into a ConfigMap from the values'
/// <c>config</c> section, secret ones into a Secret from <c>secrets</c>, whose values are never written.
/// </remarks>
internal static class ComputeMapping
{
    public static async Task<KubernetesWorkload> MapAsync(
        IResourceWithEnvironment project, WorkloadBuilder builder, ClusterReferences references, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var name = project.Name;
        var key = WorkloadBuilder.ValuesKey(name);
        var values = builder.Values;
        var (repository, tag) = ImageOf(project);
        var container = WorkloadBuilder.Container(name, builder.Image(name, repository, tag));
        var pod = WorkloadBuilder.Pod(container);
        WorkloadBuilder.AddScratch(pod, container, "tmp", "/tmp");
        pod.NodeSelector = values.Map($"parameters.{key}.nodeSelector", new Dictionary<string, string>());
        pod.Tolerations = values.Tolerations($"parameters.{key}.tolerations");

        var arguments = await ArgumentsAsync(project, references, executionContext, cancellationToken).ConfigureAwait(false);
        if (arguments.Count > 0)
        {
            container.Args = arguments;
        }

        var endpoints = project.Annotations.OfType<EndpointAnnotation>().ToList();
        IList<V1ServicePort> servicePorts = [];
        foreach (var endpoint in endpoints)
        {
            var port = endpoint.TargetPort ?? (project is ProjectResource ? WorkloadBuilder.HttpPort
                : throw ClusterReferences.Unmappable(project, $"its endpoint '{endpoint.Name}'", "it has no target port, so no container port can be declared",
                    $"give it one: WithEndpoint(\"{endpoint.Name}\", e => e.TargetPort = 8080)"));
            container.Ports = [.. container.Ports ?? [], new V1ContainerPort { Name = endpoint.Name, ContainerPort = port, Protocol = "TCP" }];
            servicePorts.Add(WorkloadBuilder.Port(endpoint.Name, endpoint.Port ?? port));
        }

        if (endpoints.Count > 0 && project is ProjectResource)
        {
            var urls = string.Join(';', endpoints.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.UriScheme}://+:{e.TargetPort ?? WorkloadBuilder.HttpPort}")));
            WorkloadBuilder.AddEnvironment(container, "ASPNETCORE_URLS", urls);
        }

        var workload = new KubernetesWorkload(name, endpoints.Count > 0 ? Deployment(name, builder, pod) : Job(name, pod));
        if (servicePorts.Count > 0)
        {
            workload.Service = WorkloadBuilder.Service(name, name, [.. servicePorts]);
        }

        await AddEnvironmentAsync(workload, project, builder, references, executionContext, cancellationToken).ConfigureAwait(false);
        return workload;
    }

    /// <summary>
    /// A project's image is named after its resource (set the project's ContainerRepository to match); a container's
    /// is its own. Either is a chart value.
    /// </summary>
    private static (string Repository, string Tag) ImageOf(IResource resource)
    {
        if (resource is ProjectResource)
        {
            return (resource.Name, "latest");
        }

        if (resource.Annotations.OfType<ContainerImageAnnotation>().LastOrDefault() is not { } image)
        {
            throw ClusterReferences.Unmappable(resource, "the resource", "it has no container image, and a cluster runs only containers",
                "run it as a container (AddContainer) or a project, or leave it out of publishing with ExcludeFromManifest()");
        }

        foreach (var mount in resource.Annotations.OfType<ContainerMountAnnotation>())
        {
            throw ClusterReferences.Unmappable(resource, $"its mount at '{mount.Target}'",
                mount.Type == ContainerMountType.BindMount ? $"it binds the host path '{mount.Source}', which nodes of a cluster do not have" : "volumes are not published yet",
                "remove the mount from the cluster's model, or add a volume in PublishAsKubernetesWorkload");
        }

        var repository = string.IsNullOrEmpty(image.Registry) ? image.Image : $"{image.Registry}/{image.Image}";
        return (repository, string.IsNullOrEmpty(image.Tag) ? "latest" : image.Tag);
    }

    private static V1Deployment Deployment(string name, WorkloadBuilder builder, V1PodSpec pod) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = WorkloadBuilder.Metadata(name, name),
        Spec = new V1DeploymentSpec
        {
            Replicas = builder.Values.Int($"parameters.{WorkloadBuilder.ValuesKey(name)}.replicas", 1),
            Selector = WorkloadBuilder.Selector(name, name),
            Template = WorkloadBuilder.Template(name, name, pod),
        },
    };

    private static V1Job Job(string name, V1PodSpec pod)
    {
        // A failed pipeline is looked at, not retried blindly: its steps may have written results already.
        pod.RestartPolicy = "Never";
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = WorkloadBuilder.Metadata(name, name),
            Spec = new V1JobSpec
            {
                BackoffLimit = 0,
                Template = WorkloadBuilder.Template(name, name, pod),
            },
        };
    }

    private static async Task<List<string>> ArgumentsAsync(
        IResource project, ClusterReferences references, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var arguments = new List<object>();
        var context = new CommandLineArgsCallbackContext(arguments, project, cancellationToken) { ExecutionContext = executionContext };
        foreach (var annotation in project.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await annotation.Callback(context).ConfigureAwait(false);
        }

        var resolved = new List<string>();
        foreach (var argument in arguments)
        {
            resolved.Add((await references.ResolveAsync(argument, project, "an argument", cancellationToken).ConfigureAwait(false)).Text);
        }

        return resolved;
    }

    private static async Task AddEnvironmentAsync(
        KubernetesWorkload workload, IResource project, WorkloadBuilder builder, ClusterReferences references,
        DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var variables = new Dictionary<string, object>(StringComparer.Ordinal);
        var context = new EnvironmentCallbackContext(executionContext, project, variables, cancellationToken);
        foreach (var annotation in project.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await annotation.Callback(context).ConfigureAwait(false);
        }

        var name = workload.Name;
        var key = WorkloadBuilder.ValuesKey(name);
        var config = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var secrets = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (variable, value) in variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            var resolved = await references.ResolveAsync(value, project, $"the environment variable {variable}", cancellationToken).ConfigureAwait(false);
            if (resolved.IsSecret)
            {
                secrets[variable] = builder.Values.String($"secrets.{key}.{variable}", "");
            }
            else
            {
                config[variable] = builder.Values.String($"config.{key}.{variable}", resolved.Text);
            }
        }

        var envFrom = new List<V1EnvFromSource>();
        if (config.Count > 0)
        {
            workload.ConfigMap = new V1ConfigMap
            {
                ApiVersion = "v1",
                Kind = "ConfigMap",
                Metadata = new V1ObjectMeta { Name = $"{name}-config", Labels = WorkloadBuilder.Labels(name, name) },
                Data = config,
            };
            envFrom.Add(new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = workload.ConfigMap.Metadata.Name } });
        }

        if (secrets.Count > 0)
        {
            workload.Secret = new V1Secret
            {
                ApiVersion = "v1",
                Kind = "Secret",
                Metadata = new V1ObjectMeta { Name = $"{name}-secrets", Labels = WorkloadBuilder.Labels(name, name) },
                Type = "Opaque",
                StringData = secrets,
            };
            envFrom.Add(new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = workload.Secret.Metadata.Name } });
        }

        if (envFrom.Count > 0)
        {
            workload.Container.EnvFrom = envFrom;
        }
    }
}
