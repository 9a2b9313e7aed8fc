using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cluster.Tests;

/// <summary>A real web host wired into a test's etcd, as the stack's services are.</summary>
internal static class ClusterHost
{
    public static Task<WebApplication> StartAsync(
        EtcdServer etcd, Action<WebApplicationBuilder> configure, CancellationToken cancellationToken, params (string Key, string Value)[] settings) =>
        StartAsync(etcd.ConnectionString(), configure, cancellationToken, settings);

    private static async Task<WebApplication> StartAsync(
        ClusterConnectionString connection, Action<WebApplicationBuilder> configure, CancellationToken cancellationToken, params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls(settings.FirstOrDefault(s => s.Key == "urls").Value ?? "http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(
            settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))
                .Append(KeyValuePair.Create("ConnectionStrings:fluid", (string?)connection.ToString())));
        builder.AddFluidCluster();
        configure(builder);
        var app = builder.Build();
        await app.StartAsync(cancellationToken);
        return app;
    }

    /// <summary>A daemon of a simulated node, registered through the API server's kubeconfig as the AppHost's are.</summary>
    /// <param name="settings">More settings, e.g. <c>urls</c> (the host's addresses, <c>http://127.0.0.1:0</c> by default).</param>
    public static Task<WebApplication> StartMemberAsync(
        EtcdServer etcd, ApiServerProcess api, string node, string component, CancellationToken cancellationToken, int leaseTtlSeconds = 3,
        params (string Key, string Value)[] settings) =>
        StartAsync(new ClusterConnectionString([etcd.ClientUrl], kubeconfig: api.KubeconfigPath), b => b.AddKubernetesApi().AddNodeMembership(component), cancellationToken,
            [("Fluid:Node:Name", node), ("Fluid:Node:Zone", "zone-a"), ("Fluid:Node:Register", "true"), ("Fluid:Node:LeaseTtlSeconds", $"{leaseTtlSeconds}"), .. settings]);
}
