using Fluid.Aspire.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cluster.Tests;

/// <summary>A real web host wired into a test's etcd, as the stack's services are.</summary>
internal static class ClusterHost
{
    public static async Task<WebApplication> StartAsync(
        EtcdServer etcd, Action<WebApplicationBuilder> configure, CancellationToken cancellationToken, params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(
            settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))
                .Append(KeyValuePair.Create("ConnectionStrings:fluid", (string?)etcd.ConnectionString().ToString())));
        builder.AddFluidCluster();
        configure(builder);
        var app = builder.Build();
        await app.StartAsync(cancellationToken);
        return app;
    }

    public static Task<WebApplication> StartMemberAsync(
        EtcdServer etcd, string node, string component, CancellationToken cancellationToken, int leaseTtlSeconds = 3) =>
        StartAsync(etcd, b => b.AddNodeMembership(component), cancellationToken,
            ("Fluid:Node:Name", node), ("Fluid:Node:Zone", "zone-a"), ("Fluid:Node:LeaseTtlSeconds", $"{leaseTtlSeconds}"));
}
