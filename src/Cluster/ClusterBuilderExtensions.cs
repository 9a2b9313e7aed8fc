using Fluid.Aspire.Cluster.Configuration;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Contracts.Kubernetes;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.Cluster.Membership;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Cluster;

/// <summary>Wires a Fluid service into its cluster: the etcd connection, node membership, and the node directory.</summary>
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
    /// Registers this process as the <paramref name="component"/> daemon of the node named by <c>Fluid:Node</c>, for
    /// as long as it runs, and reports readiness only while registered.
    /// </summary>
    public static IHostApplicationBuilder AddNodeMembership(this IHostApplicationBuilder builder, string component)
    {
        builder.Services.AddOptions<NodeOptions>()
            .Bind(builder.Configuration.GetSection(NodeOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<NodeOptions>>(new ProblemsValidator<NodeOptions>(o => o.Validate()));
        builder.Services.AddSingleton(sp => new NodeRegistrar(
            sp.GetRequiredService<EtcdConnection>(),
            sp.GetRequiredService<IOptions<NodeOptions>>(),
            component,
            sp.GetRequiredService<IServer>(),
            sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetRequiredService<ILogger<NodeRegistrar>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NodeRegistrar>());
        builder.Services.AddHealthChecks().AddCheck<NodeRegistrar>("membership", tags: ["ready"]);
        return builder;
    }

    /// <summary>Adds the <see cref="NodeDirectory"/>: the live view of every node's members.</summary>
    public static IHostApplicationBuilder AddNodeDirectory(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<NodeDirectory>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NodeDirectory>());
        builder.Services.AddHealthChecks().AddCheck<NodeDirectory>("node-directory", tags: ["ready"]);
        return builder;
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
