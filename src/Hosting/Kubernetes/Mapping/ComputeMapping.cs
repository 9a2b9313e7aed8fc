using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Fluid.Aspire.Contracts.Operations;
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
internal static partial class ComputeMapping
{
    public static async Task<KubernetesWorkload> MapAsync(
        IResourceWithEnvironment resource, WorkloadBuilder builder, ClusterReferences references, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var name = resource.Name;
        var (repository, tag) = ImageOf(resource);
        var container = WorkloadBuilder.Container(name, builder.Image(name, repository, tag));
        var pod = WorkloadBuilder.Pod(container);
        WorkloadBuilder.AddScratch(pod, container, "tmp", "/tmp");
        builder.Schedule(name, pod);

        // A program that uses a stack talks to the object store of its node through the shared socket directory, and
        // its method steps run in its own image.
        foreach (var fluid in resource.Annotations.OfType<ResourceRelationshipAnnotation>().Select(r => r.Resource).OfType<FluidResource>().Distinct())
        {
            FluidStackMapping.MountSockets(builder, fluid, pod, container);
            if (container.Env?.Any(v => v.Name == MethodProcessor.ProgramImageVariable) != true)
            {
                WorkloadBuilder.AddEnvironment(container, MethodProcessor.ProgramImageVariable, container.Image);
            }
        }

        var arguments = await ArgumentsAsync(resource, references, executionContext, cancellationToken).ConfigureAwait(false);
        if (arguments.Count > 0)
        {
            container.Args = arguments;
        }

        var ports = Ports(resource);
        var workload = new KubernetesWorkload(name, ports.Count > 0 ? Deployment(name, builder, pod) : Job(name, builder, pod));
        if (ports.Count > 0)
        {
            container.Ports = [.. ports.Select(p => new V1ContainerPort { Name = p.Name, ContainerPort = p.TargetPort, Protocol = "TCP" })];
            workload.Service = WorkloadBuilder.Service(name, name, [.. ports.Select(p => WorkloadBuilder.Port(p.Name, p.Port))]);
            if (resource is ProjectResource)
            {
                WorkloadBuilder.AddEnvironment(container, "ASPNETCORE_URLS",
                    string.Join(';', ports.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Scheme}://+:{p.TargetPort}"))));
            }
        }

        await AddEnvironmentAsync(workload, resource, builder, references, executionContext, cancellationToken).ConfigureAwait(false);
        return workload;
    }

    /// <summary>
    /// The endpoints as container and Service ports. A project's endpoint without a target port listens on the next
    /// free port from 8080; a container's must say its port, since only the image knows it.
    /// </summary>
    public static List<EndpointPort> Ports(IResource resource)
    {
        var ports = new List<EndpointPort>();
        var next = WorkloadBuilder.HttpPort;
        foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>())
        {
            if (!PortName().IsMatch(endpoint.Name) || endpoint.Name.Length > 15)
            {
                throw ClusterReferences.Unmappable(resource, $"its endpoint '{endpoint.Name}'",
                    "Kubernetes names ports with at most 15 lower-case letters, digits and '-'", "rename the endpoint, e.g. \"http\" or \"grpc\"");
            }

            var target = endpoint.TargetPort ?? (resource is ProjectResource ? next = NextFree(next, ports)
                : throw ClusterReferences.Unmappable(resource, $"its endpoint '{endpoint.Name}'", "it has no target port, so no container port can be declared",
                    $"give it one: WithEndpoint(\"{endpoint.Name}\", e => e.TargetPort = 8080)"));
            ports.Add(new EndpointPort(endpoint.Name, endpoint.UriScheme, endpoint.Port ?? target, target));
        }

        return ports;

        static int NextFree(int from, List<EndpointPort> taken)
        {
            while (taken.Any(p => p.TargetPort == from))
            {
                from++;
            }

            return from;
        }
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
            Replicas = builder.Values.Int(WorkloadBuilder.Parameter(name, "replicas"), 1),
            Selector = WorkloadBuilder.Selector(name, name),
            Template = WorkloadBuilder.Template(name, name, pod),
        },
    };

    private static V1Job Job(string name, WorkloadBuilder builder, V1PodSpec pod)
    {
        pod.RestartPolicy = "Never";
        var metadata = WorkloadBuilder.Metadata(name, name);
        // A Job's pod template cannot change once created, so each install or upgrade runs a new one, as a Helm hook
        // that replaces the Job of the previous release (kubectl users delete the old Job before applying).
        metadata.Annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["helm.sh/hook"] = "post-install,post-upgrade",
            ["helm.sh/hook-delete-policy"] = "before-hook-creation",
        };
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = metadata,
            Spec = new V1JobSpec
            {
                // A program that starts before the stack is ready fails its first tries; a failed run is kept for its logs.
                BackoffLimit = builder.Values.Int(WorkloadBuilder.Parameter(name, "backoffLimit"), 3),
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
            // A value with a secret part is a secret as a whole, given at install time; the chart refuses to render without it.
            if (resolved.IsSecret)
            {
                secrets[variable] = builder.Values.Required(["secrets", key, variable], "");
            }
            else
            {
                config[variable] = builder.Values.String(["config", key, variable], resolved.Text);
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

    // Kubernetes' IANA_SVC_NAME: lower-case letters, digits and inner '-', with at least one letter.
    [System.Text.RegularExpressions.GeneratedRegex("^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial System.Text.RegularExpressions.Regex PortName();
}

/// <summary>An endpoint as the cluster exposes it: the Service's port and the container's.</summary>
internal sealed record EndpointPort(string Name, string Scheme, int Port, int TargetPort);
