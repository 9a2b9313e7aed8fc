using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Fluid.Aspire.Hosting.Etcd;

namespace Fluid.Aspire.Hosting;

/// <summary>Adds a Fluid stack to an Aspire application.</summary>
public static class FluidBuilderExtensions
{
    /// <summary>The connection name under which the stack's services read where etcd is.</summary>
    private const string ServiceConnectionName = "fluid";

    /// <summary>The API server's endpoint of the Kubernetes API (TLS with its own certificate).</summary>
    private const string ApiEndpointName = "api";

    /// <summary>
    /// Adds a Fluid stack: etcd, the local Kubernetes API, the controller, and one simulated node running an object store and a cache agent
    /// (see <see cref="WithNodes"/>). Reference it from an application with <c>WithReference(fluid)</c> and
    /// <c>WaitFor(fluid)</c>: the application receives <c>ConnectionStrings__&lt;name&gt;</c> and starts once every
    /// component is healthy.
    /// </summary>
    public static IResourceBuilder<FluidResource> AddFluid(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        var etcd = builder.AddEtcd($"{name}-etcd");
        var fluid = new FluidResource(name, etcd.Resource, Path.Combine(builder.AppHostDirectory, ".fluid", name));
        var stack = builder.AddResource(fluid)
            .WithIconName("DataArea")
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Fluid",
                State = KnownResourceStates.NotStarted,
                Properties = [],
            });
        etcd.WithParentRelationship(stack);

        // A new token for every run: the kubeconfig, rewritten when the API server starts, is how clients learn it.
        var token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        fluid.ApiServer = builder.AddProject<ApiServerProject>($"{name}-apiserver")
            .AsFluidService(stack, etcd)
            // The API itself is TLS only (kubectl sends a token over nothing else); the plain endpoint serves health probes.
            // Its certificate is the API server's own (in the kubeconfig), so the endpoint is declared as TCP: for an
            // "https" endpoint Aspire would want a development certificate (see WithoutDevelopmentCertificate).
            .WithEndpoint(name: ApiEndpointName, scheme: "tcp", isProxied: false)
            .WithEnvironment(context =>
            {
                var api = fluid.ApiServer.GetEndpoint(ApiEndpointName);
                var health = fluid.ApiServer.GetEndpoint("http");
                context.EnvironmentVariables["ASPNETCORE_URLS"] = ReferenceExpression.Create(
                    $"http://{health.EndpointAnnotation.TargetHost}:{health.Property(EndpointProperty.TargetPort)};https://{api.EndpointAnnotation.TargetHost}:{api.Property(EndpointProperty.TargetPort)}");
            })
            .WithUrlForEndpoint(ApiEndpointName, url =>
            {
                url.Url = url.Url.Replace("tcp://", "https://", StringComparison.Ordinal);
                url.DisplayText = "Kubernetes API (kubeconfig)";
            })
            .WithEnvironment("Fluid__ApiServer__Token", token)
            .WithEnvironment(context => context.EnvironmentVariables["Fluid__ApiServer__CertificateDirectory"] = Path.Combine(fluid.StateDirectory, "tls"))
            .WithEnvironment(context => context.EnvironmentVariables["Fluid__ApiServer__Kubeconfig"] = fluid.Kubeconfig)
            .WithEnvironment(context =>
            {
                if (context.ExecutionContext.IsRunMode && fluid.PublishesLocalStack)
                {
                    context.EnvironmentVariables["Fluid__ApiServer__LocalStackKubeconfig"] = Contracts.Kubernetes.Kubeconfig.LocalStackFile;
                }
            })
            .Resource;

        // The object stores refuse callers without it; a new one for every run, like the API server's token.
        var objectStoreToken = ObjectStore.Rpc.ObjectStoreToken.Generate();
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>((_, cancellationToken) => objectStoreToken.WriteFileAsync(fluid.ObjectStoreTokenFile, cancellationToken));
        }

        fluid.Controller = builder.AddProject<ControllerProject>($"{name}-controller")
            .AsFluidService(stack, etcd)
            .WithObjectStoreToken(fluid)
            // It reads and writes resources through the API, whose kubeconfig exists once the API server listens.
            .WaitFor(builder.CreateResourceBuilder(fluid.ApiServer))
            .Resource;

        FluidStateMonitor.Attach(stack);
        Dashboard.StackObjectMirror.Attach(stack);
        return stack.WithNodes(1);
    }

    /// <summary>
    /// Runs <paramref name="count"/> simulated nodes, <c>node-0</c> … <c>node-{count-1}</c>, each with its own object
    /// store and cache agent process and its own locality labels, so that scheduling by locality can be tried on one
    /// machine. <paramref name="configure"/> is called for every node and can rename it or change its zone, region,
    /// rack and labels.
    /// </summary>
    public static IResourceBuilder<FluidResource> WithNodes(
        this IResourceBuilder<FluidResource> builder, int count, Action<FluidNodeOptions>? configure = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 64);

        var fluid = builder.Resource;
        if (count < fluid.NodeList.Count)
        {
            // Aspire cannot take a project resource back out of the model once added.
            throw new InvalidOperationException(
                $"{fluid.Name} already runs {fluid.NodeList.Count} nodes; WithNodes can add nodes but not remove them. " +
                "Call WithNodes once, with the number of nodes you want.");
        }

        var etcd = builder.ApplicationBuilder.CreateResourceBuilder(fluid.Etcd);
        for (var index = fluid.NodeList.Count; index < count; index++)
        {
            var options = new FluidNodeOptions(index);
            var objectStore = AddNodeDaemon<ObjectStoreProject>(builder, etcd, options, "objectstore");
            var cacheAgent = AddNodeDaemon<CacheAgentProject>(builder, etcd, options, "cacheagent")
                // It is the simulated node's kubelet: the logs of the node's pods stay with the stack.
                .WithEnvironment(context => context.EnvironmentVariables["Fluid__Executor__LogsDirectory"] =
                    Path.Combine(fluid.StateDirectory, "pods", options.Name));
            var node = new FluidNode(options, objectStore.Resource, cacheAgent.Resource, fluid);
            cacheAgent.WithEnvironment(context => context.EnvironmentVariables["Fluid__Cache__Socket"] = node.CacheAgentSocket);
            objectStore
                .WithArgs("start")
                .WithObjectStoreToken(fluid)
                .WithEnvironment(context =>
                {
                    context.EnvironmentVariables["Fluid__ObjectStore__Socket"] = node.ObjectStoreSocket;
                    context.EnvironmentVariables["Fluid__ObjectStore__Size"] = fluid.ObjectStoreMemory;
                    context.EnvironmentVariables["Fluid__ObjectStore__ReserveMemory"] = fluid.ReserveObjectStoreMemory ? "true" : "false";
                });
            fluid.NodeList.Add(node);
        }

        if (configure is not null)
        {
            foreach (var node in fluid.NodeList)
            {
                configure(node.Options);
            }
        }

        var duplicate = fluid.NodeList.GroupBy(n => n.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null
            ? builder
            : throw new ArgumentException($"Several nodes are named '{duplicate.Key}'; node names must be unique.", nameof(configure));
    }

    /// <summary>
    /// Sets how long a daemon's registration outlives it when it dies without deregistering (10 s by default): the
    /// time the controller takes to notice a node that crashed.
    /// </summary>
    public static IResourceBuilder<FluidResource> WithLeaseTtl(this IResourceBuilder<FluidResource> builder, TimeSpan ttl)
    {
        if (ttl < TimeSpan.FromSeconds(2) || ttl > TimeSpan.FromMinutes(5) || ttl.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "The lease TTL must be a whole number of seconds from 2 s to 5 min.");
        }

        builder.Resource.LeaseTtl = ttl;
        return builder;
    }

    /// <summary>
    /// Puts the object stores' Unix sockets in <paramref name="directory"/> (<c>{directory}/{node}.sock</c>) instead of
    /// <c>/var/run/fluid/{name}</c> (or <c>$XDG_RUNTIME_DIR/fluid/{name}</c>; <c>{name}-{hash of the state directory}</c>
    /// with <see cref="WithStateDirectory"/>, so that stacks on two state directories never share one).
    /// </summary>
    public static IResourceBuilder<FluidResource> WithSocketDirectory(this IResourceBuilder<FluidResource> builder, string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        builder.Resource.SocketDirectory = Path.GetFullPath(directory, builder.ApplicationBuilder.AppHostDirectory);
        return builder;
    }

    /// <summary>
    /// Sets the shared memory of every node's object store, e.g. <c>4Gi</c> (1Gi by default; committed as it is used,
    /// or all at start with <paramref name="reserve"/>, which makes first writes faster).
    /// </summary>
    public static IResourceBuilder<FluidResource> WithObjectStoreMemory(this IResourceBuilder<FluidResource> builder, string size, bool reserve = false)
    {
        try
        {
            Contracts.Quantity.ParseBytes(size);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException(ex.Message, nameof(size), ex);
        }

        builder.Resource.ObjectStoreMemory = size;
        builder.Resource.ReserveObjectStoreMemory = reserve;
        return builder;
    }

    /// <summary>
    /// Keeps the stack's state in <paramref name="directory"/> (relative to the AppHost's directory) instead of
    /// <c>.fluid/{name}</c> under the AppHost: the API server's certificates and kubeconfig, the nodes' pod logs, and
    /// etcd's data (<c>{directory}/etcd</c>), and sockets of its own (<see cref="WithSocketDirectory"/>). Two stacks
    /// running at once need two directories. Such a stack is reached
    /// through its own kubeconfig: it does not publish itself as the local stack.
    /// </summary>
    public static IResourceBuilder<FluidResource> WithStateDirectory(this IResourceBuilder<FluidResource> builder, string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var fluid = builder.Resource;
        fluid.StateDirectory = Path.GetFullPath(directory, builder.ApplicationBuilder.AppHostDirectory);
        fluid.PublishesLocalStack = false;
        // Sockets of their own too, so that stacks on two state directories run side by side; named after the state
        // directory, where a path under it could pass the 107 bytes a Unix socket's path may have.
        var state = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(fluid.StateDirectory)))[..12];
        fluid.SocketDirectory = Path.Combine(ObjectStore.Ipc.SocketPaths.DefaultDirectory(), $"{fluid.Name}-{state}");
        builder.ApplicationBuilder.CreateResourceBuilder(fluid.Etcd).WithDataDirectory(Path.Combine(fluid.StateDirectory, "etcd"));
        return builder;
    }

    /// <summary>
    /// Has the stack's API server write its kubeconfig to <paramref name="path"/> (relative to the AppHost's directory)
    /// instead of <c>{StateDirectory}/kubeconfig</c>, e.g. where a user's kubectl will look.
    /// </summary>
    public static IResourceBuilder<FluidResource> WithKubeconfig(this IResourceBuilder<FluidResource> builder, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        builder.Resource.Kubeconfig = Path.GetFullPath(path, builder.ApplicationBuilder.AppHostDirectory);
        return builder;
    }

    /// <summary>Configures the stack's etcd, e.g. <c>fluid.WithEtcd(etcd => etcd.WithCleanStart())</c>.</summary>
    public static IResourceBuilder<FluidResource> WithEtcd(
        this IResourceBuilder<FluidResource> builder, Action<IResourceBuilder<EtcdResource>> configure)
    {
        configure(builder.ApplicationBuilder.CreateResourceBuilder(builder.Resource.Etcd));
        return builder;
    }

    private static IResourceBuilder<ProjectResource> AddNodeDaemon<TProject>(
        IResourceBuilder<FluidResource> stack,
        IResourceBuilder<EtcdResource> etcd,
        FluidNodeOptions node,
        string component)
        where TProject : IProjectMetadata, new()
    {
        var fluid = stack.Resource;
        return stack.ApplicationBuilder
            .AddProject<TProject>($"{fluid.Name}-{component}-{node.Index}")
            .AsFluidService(stack, etcd)
            // It keeps its member Lease (and its Node) on the API, whose kubeconfig exists once the API server listens.
            .WaitFor(stack.ApplicationBuilder.CreateResourceBuilder(fluid.ApiServer))
            .WithEnvironment(context =>
            {
                var variables = context.EnvironmentVariables;
                // Read when the process starts, so that WithNodes' callback may still rename or relabel the node.
                variables["Fluid__Node__Name"] = node.Name;
                // No kubelet keeps a simulated node's Node object: its daemons do.
                variables["Fluid__Node__Register"] = "true";
                variables["Fluid__Node__LeaseTtlSeconds"] = ((int)fluid.LeaseTtl.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                SetIfPresent(variables, "Fluid__Node__Zone", node.Zone);
                SetIfPresent(variables, "Fluid__Node__Region", node.Region);
                SetIfPresent(variables, "Fluid__Node__Rack", node.Rack);
                foreach (var (key, value) in node.Labels)
                {
                    variables[$"Fluid__Node__Labels__{key}"] = value;
                }
            });
    }

    /// <summary>Points a caller of the object stores (or an object store) at the stack's token file.</summary>
    private static IResourceBuilder<ProjectResource> WithObjectStoreToken(this IResourceBuilder<ProjectResource> service, FluidResource fluid) =>
        // Read when the process starts, so that WithStateDirectory may still move the file.
        service.WithEnvironment(context => context.EnvironmentVariables["Fluid__ObjectStore__TokenFile"] = fluid.ObjectStoreTokenFile);

    private static void SetIfPresent(Dictionary<string, object> variables, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            variables[name] = value;
        }
    }

    /// <summary>What every service of the stack shares: where etcd is, when to start, how health is judged.</summary>
    private static IResourceBuilder<ProjectResource> AsFluidService(
        this IResourceBuilder<ProjectResource> service, IResourceBuilder<FluidResource> stack, IResourceBuilder<EtcdResource> etcd) =>
        service
            // Read when the process starts, so that WithKubeconfig may still move the kubeconfig.
            .WithEnvironment(context => context.EnvironmentVariables[$"ConnectionStrings__{ServiceConnectionName}"] = stack.Resource.ClusterConnectionExpression)
            .WithReferenceRelationship(etcd)
            .WaitFor(etcd)
            // Not proxied: a health probe then fails fast while the service starts, instead of hanging in the proxy.
            .WithHttpEndpoint(name: "http", isProxied: false)
            .WithHttpHealthCheck("/health", endpointName: "http")
            .WithoutDevelopmentCertificate()
            .WithParentRelationship(stack);

    /// <summary>
    /// No ASP.NET development certificate: no service of the stack serves HTTPS with it (the API server has its own).
    /// Aspire would otherwise look for a trusted one for every project and greet each dashboard page with an error
    /// when there is none, as on a fresh Linux machine.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithoutDevelopmentCertificate(this IResourceBuilder<ProjectResource> project)
    {
#pragma warning disable ASPIRECERTIFICATES001 // Experimental in Aspire 13.6, and the one way to say a project needs no certificate.
        return project.WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001
    }
}
