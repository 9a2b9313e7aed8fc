using Fluid.Aspire.Cluster.Configuration;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts.Kubernetes;
using Fluid.Aspire.Contracts.Store;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Cluster;

/// <summary>Wires a Fluid service into its cluster: the etcd connection, the Kubernetes API, and node membership.</summary>
public static class ClusterBuilderExtensions
{
    /// <summary>The connection name under which the AppHost injects the cluster's etcd (<c>ConnectionStrings__fluid</c>).</summary>
    public const string DefaultConnectionName = "fluid";

    /// <summary>Adds the shared <see cref="EtcdConnection"/> and an <c>etcd</c> readiness check.</summary>
    /// <exception cref="InvalidOperationException">The connection string is missing or malformed.</exception>
    public static IHostApplicationBuilder AddFluidCluster(this IHostApplicationBuilder builder, string connectionName = DefaultConnectionName)
    {
        var connectionString = ReadConnectionString(builder.Configuration, connectionName);
        builder.Services.AddSingleton(_ => new EtcdConnection(connectionString));
        builder.Services.AddHealthChecks().AddCheck<EtcdHealthCheck>("etcd", tags: ["ready"]);
        return builder;
    }

    /// <summary>
    /// Adds the Kubernetes API, where the resources live, as KubernetesClient's <see cref="k8s.Kubernetes"/> and as
    /// the <see cref="IResourceStore"/>: the kubeconfig the connection string names (the AppHost's local API server), else
    /// <c>Fluid:Kubernetes:Kubeconfig</c>, else as kubectl finds one (<c>KUBECONFIG</c>, the pod's service account on a
    /// cluster, <c>~/.kube/config</c>), with the context <c>Fluid:Kubernetes:Context</c> or the current one.
    /// </summary>
    public static IHostApplicationBuilder AddKubernetesApi(this IHostApplicationBuilder builder, string connectionName = DefaultConnectionName)
    {
        var kubeconfig = ReadConnectionString(builder.Configuration, connectionName).Kubeconfig ?? builder.Configuration["Fluid:Kubernetes:Kubeconfig"];
        var context = builder.Configuration["Fluid:Kubernetes:Context"];
        builder.Services.AddSingleton(_ => Kubeconfig.Load(kubeconfig, context));
        builder.Services.AddSingleton(sp => new k8s.Kubernetes(sp.GetRequiredService<k8s.KubernetesClientConfiguration>()));
        builder.Services.AddSingleton<IResourceStore>(sp => new KubernetesResourceStore(sp.GetRequiredService<k8s.Kubernetes>()));
        return builder;
    }

    /// <summary>
    /// True when a Kubernetes API is configured for this service: a kubeconfig named by the connection string or by
    /// <c>Fluid:Kubernetes:Kubeconfig</c>, or the pod's service account. A daemon run alone (etcd only) has none.
    /// </summary>
    public static bool HasKubernetesApi(this IHostApplicationBuilder builder, string connectionName = DefaultConnectionName) =>
        !string.IsNullOrWhiteSpace(ReadConnectionString(builder.Configuration, connectionName).Kubeconfig)
        || !string.IsNullOrWhiteSpace(builder.Configuration["Fluid:Kubernetes:Kubeconfig"])
        || k8s.KubernetesClientConfiguration.IsInCluster();

    /// <summary>
    /// Registers this process as the <paramref name="component"/> daemon of the node named by <c>Fluid:Node</c>, for
    /// as long as it runs, through its <see cref="MemberLease"/> on the Kubernetes API (<see cref="AddKubernetesApi"/>
    /// first), and reports readiness only while registered.
    /// </summary>
    public static IHostApplicationBuilder AddNodeMembership(this IHostApplicationBuilder builder, string component)
    {
        builder.Services.AddOptions<NodeOptions>()
            .Bind(builder.Configuration.GetSection(NodeOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<NodeOptions>>(new ProblemsValidator<NodeOptions>(o => o.Validate()));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new NodeRegistrar(
            sp.GetRequiredService<k8s.Kubernetes>(),
            ControlPlaneNamespace(sp),
            sp.GetRequiredService<IOptions<NodeOptions>>(),
            component,
            sp.GetRequiredService<IServer>(),
            sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<NodeRegistrar>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NodeRegistrar>());
        builder.Services.AddHealthChecks().AddCheck<NodeRegistrar>("membership", tags: ["ready"]);
        return builder;
    }

    /// <summary>
    /// The namespace of the control plane's Leases (the leader's and the node members'): the kubeconfig context's, the
    /// pod's own on a cluster, else <c>default</c>.
    /// </summary>
    public static string ControlPlaneNamespace(IServiceProvider services) =>
        ControlPlaneNamespace(services.GetRequiredService<k8s.KubernetesClientConfiguration>());

    /// <inheritdoc cref="ControlPlaneNamespace(IServiceProvider)"/>
    public static string ControlPlaneNamespace(k8s.KubernetesClientConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.Namespace ?? "default";
    }

    private static ClusterConnectionString ReadConnectionString(IConfiguration configuration, string connectionName)
    {
        var value = configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{connectionName} is not set, so this service does not know where etcd is. " +
                "Start it through the AppHost (dotnet run --project AppHost), which injects it, or set the environment " +
                $"variable ConnectionStrings__{connectionName}=http://127.0.0.1:2379.");
        }

        try
        {
            return ClusterConnectionString.Parse(value);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"ConnectionStrings:{connectionName} is invalid: {ex.Message}", ex);
        }
    }
}
