using System.Net;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.ObjectStore.Cluster;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Rpc;
using Fluid.Aspire.ObjectStore.Store;
using Fluid.Aspire.ObjectStore.Telemetry;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Fluid.Aspire.ObjectStore.Daemon;

/// <summary>
/// Builds the daemon: the arenas, the store, the Unix socket server, the gRPC service and bulk channel, and, when a
/// cluster connection string is set, its registration and catalog in etcd; without one it runs standalone.
/// </summary>
internal static class DaemonHost
{
    public static WebApplication Build(IEnumerable<KeyValuePair<string, string?>> overrides)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.AddServiceDefaults();

        var options = builder.Configuration.GetSection(ObjectStoreOptions.SectionName).Get<ObjectStoreOptions>() ?? new ObjectStoreOptions();
        var node = builder.Configuration.GetSection(NodeOptions.SectionName).Get<NodeOptions>() ?? new NodeOptions();
        var settings = DaemonSettings.From(options, node);
        var endpoints = new DaemonEndpoints(settings);
        var arenas = new ArenaSet(settings.Size, settings.ArenaSize, settings.ReserveMemory);
        endpoints.Capacity = arenas.Capacity;

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(endpoints);
        services.AddSingleton(_ => arenas);
        services.AddSingleton(settings.Store);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ObjectStoreTelemetry>();
        var standalone = string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ClusterBuilderExtensions.DefaultConnectionName));
        var member = false;
        if (standalone)
        {
            services.AddSingleton<IObjectCatalog, StandaloneCatalog>();
        }
        else
        {
            builder.AddFluidCluster();
            if (builder.HasKubernetesApi())
            {
                builder.AddKubernetesApi();
                builder.AddNodeMembership(NodeComponents.ObjectStore);
                member = true;
            }

            services.AddSingleton<EtcdCatalog>();
            services.AddSingleton<IObjectCatalog>(sp => sp.GetRequiredService<EtcdCatalog>());
            services.AddHostedService(sp => sp.GetRequiredService<EtcdCatalog>());
            services.AddHealthChecks().AddCheck<EtcdCatalog>("catalog", tags: ["ready"]);
            services.AddSingleton<PeerTransfer>();
            services.AddSingleton<IPeerTransfer>(sp => sp.GetRequiredService<PeerTransfer>());
        }

        services.AddSingleton<LocalStore>();

        services.AddSingleton<BulkTransferServer>();
        services.AddHostedService(sp => sp.GetRequiredService<BulkTransferServer>());
        services.AddHostedService<IpcServer>();
        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = 16 * 1024 * 1024;
            if (settings.Token is { } token)
            {
                grpc.Interceptors.Add<TokenInterceptor>(token);
            }
        });
        ConfigureListeners(builder, settings, endpoints);

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGrpcService<ObjectStoreRpcService>();
        if (!standalone && !member)
        {
            app.Logger.LogWarning(
                "Not registering as the object store of node {Node}: no Kubernetes API is configured, so the controller will not schedule here. " +
                "Pass --kubeconfig (or run in a pod) to join the control plane.", settings.NodeName);
        }

        app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogInformation(
            "Object store of node {Node}: {Size} of shared memory (sealed memfds{Reserved}), socket {Socket}, RPC {Rpc} ({Access}).",
            settings.NodeName, ByteSize.Format(arenas.Capacity),
            settings.ReserveMemory ? ", reserved" : "", settings.SocketPath, endpoints.RpcEndpoint,
            settings.Token is null ? "no token: open to every local process" : "callers must present the cluster's token"));
        return app;
    }

    /// <summary>
    /// The HTTP endpoints Aspire (or ASPNETCORE_URLS) asks for, for health probes, plus an HTTP/2-only endpoint for
    /// gRPC: Kestrel serves HTTP/2 without TLS only on endpoints that speak nothing else.
    /// </summary>
    private static void ConfigureListeners(WebApplicationBuilder builder, DaemonSettings settings, DaemonEndpoints endpoints)
    {
        var urls = builder.Configuration["urls"];
        // Kestrel would otherwise warn that it overrides the addresses it was given, which it binds here itself. A
        // source of its own, last, so that it outlasts the reloads that adding sources causes (a set value would not).
        builder.Configuration.AddInMemoryCollection([new(WebHostDefaults.ServerUrlsKey, "")]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var url in (string.IsNullOrWhiteSpace(urls) ? "http://127.0.0.1:0" : urls).Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var address = BindingAddress.Parse(url.Trim());
                if (address.Host is "localhost")
                {
                    kestrel.ListenLocalhost(address.Port);
                }
                else if (IPAddress.TryParse(address.Host, out var ip))
                {
                    kestrel.Listen(ip, address.Port);
                }
                else
                {
                    kestrel.ListenAnyIP(address.Port);
                }
            }

            kestrel.Listen(IPAddress.Parse(settings.BindAddress), settings.RpcPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                endpoints.RpcListener = listen;
            });
        });
    }
}
