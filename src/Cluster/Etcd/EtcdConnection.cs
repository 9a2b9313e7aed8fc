using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Fluid.Aspire.Cluster.Etcd;

/// <summary>
/// One gRPC channel to etcd shared by everything in a process, with the raw API clients that the lease and watch
/// loops need (their streams must be driven by us to notice expiry and compaction) and dotnet-etcd's
/// <see cref="EtcdClient"/> for plain key-value work.
/// </summary>
public sealed class EtcdConnection : IDisposable
{
    // Range responses are paged (see EtcdPrefixWatcher), but one page of large values can pass gRPC's 4 MiB default.
    private const int MaxResponseBytes = 64 * 1024 * 1024;

    private readonly GrpcChannel _channel;

    public EtcdConnection(ClusterConnectionString connectionString)
    {
        ConnectionString = connectionString;
        _channel = CreateChannel(connectionString.Endpoints);
        var invoker = _channel.CreateCallInvoker();
        Client = new EtcdClient(invoker);
        KeyValue = new KV.KVClient(invoker);
        Leases = new Lease.LeaseClient(invoker);
        Watches = new Watch.WatchClient(invoker);
        Maintenance = new Maintenance.MaintenanceClient(invoker);
    }

    public ClusterConnectionString ConnectionString { get; }

    /// <summary>The key prefix of this stack, e.g. <c>/fluid</c>.</summary>
    public string Prefix => ConnectionString.Prefix;

    public EtcdClient Client { get; }

    public KV.KVClient KeyValue { get; }

    public Lease.LeaseClient Leases { get; }

    public Watch.WatchClient Watches { get; }

    public Maintenance.MaintenanceClient Maintenance { get; }

    public void Dispose()
    {
        Client.Dispose();
        _channel.Dispose();
    }

    private static GrpcChannel CreateChannel(IReadOnlyList<Uri> endpoints)
    {
        var http = new SocketsHttpHandler
        {
            // Watches and lease keep-alives are long-lived HTTP/2 streams: ping so a dead server is noticed.
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };

        if (endpoints.Count == 1)
        {
            return GrpcChannel.ForAddress(endpoints[0], new GrpcChannelOptions
            {
                HttpHandler = http,
                MaxReceiveMessageSize = MaxResponseBytes,
            });
        }

        // Several members: let gRPC's balancer spread calls and fail over between them.
        var services = new ServiceCollection();
        services.AddSingleton<ResolverFactory>(new StaticResolverFactory(
            _ => endpoints.Select(e => new BalancerAddress(e.Host, e.Port))));
        var secure = endpoints[0].Scheme == Uri.UriSchemeHttps;
        return GrpcChannel.ForAddress("static:///etcd", new GrpcChannelOptions
        {
            HttpHandler = http,
            MaxReceiveMessageSize = MaxResponseBytes,
            Credentials = secure ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
            ServiceProvider = services.BuildServiceProvider(),
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } },
        });
    }
}
