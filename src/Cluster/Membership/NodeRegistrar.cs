using System.Reflection;
using System.Text.Json;
using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Cluster.Membership;

/// <summary>
/// Keeps this daemon registered as a member of its node for as long as the process lives: a key under an etcd lease
/// that it keeps alive. If the process dies the lease expires and the key goes with it, which is how the control
/// plane learns that a node is gone. If etcd restarts or the lease is lost, it registers again.
/// </summary>
public sealed class NodeRegistrar : BackgroundService, IHealthCheck
{
    private static readonly string Version =
        typeof(NodeRegistrar).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private readonly EtcdConnection _etcd;
    private readonly NodeOptions _node;
    private readonly string _component;
    private readonly IServer _server;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<NodeRegistrar> _logger;
    private long _leaseId;
    private string _state = "waiting for the server to start";

    public NodeRegistrar(
        EtcdConnection etcd,
        IOptions<NodeOptions> node,
        string component,
        IServer server,
        IHostApplicationLifetime lifetime,
        ILogger<NodeRegistrar> logger)
    {
        _etcd = etcd;
        _node = node.Value;
        _component = component;
        _server = server;
        _lifetime = lifetime;
        _logger = logger;
    }

    /// <summary>The etcd key of this registration.</summary>
    public string Key => NodeKeys.Member(_etcd.Prefix, _node.Name, _component);

    /// <summary>True while the registration key is in etcd under a live lease.</summary>
    public bool IsRegistered { get; private set; }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(IsRegistered
            ? HealthCheckResult.Healthy($"registered as {Key}")
            : HealthCheckResult.Unhealthy($"not registered as {Key}: {_state}"));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await RevokeAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Register only once the server listens, so that a registered member is one that can be called.
        await _lifetime.WhenStartedAsync(stoppingToken);
        var retry = EtcdRetry.Forever(_logger, $"Registering {Key}");
        while (!stoppingToken.IsCancellationRequested)
        {
            var lease = await retry.ExecuteAsync(RegisterAsync, stoppingToken);
            try
            {
                await KeepAliveAsync(lease, stoppingToken);
                _state = "the lease expired";
                _logger.LogWarning("The lease of {Key} expired (was etcd unreachable for {Ttl} s?); registering again.",
                    Key, _node.LeaseTtlSeconds);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is RpcException or IOException or OperationCanceledException)
            {
                _state = $"keep-alive failed: {ex.Message}";
                _logger.LogWarning("Keeping {Key} alive failed ({Reason}); registering again.", Key, ex.Message);
            }

            IsRegistered = false;
        }
    }

    private async ValueTask<long> RegisterAsync(CancellationToken cancellationToken)
    {
        var grant = await _etcd.Leases.LeaseGrantAsync(
            new LeaseGrantRequest { TTL = _node.LeaseTtlSeconds }, cancellationToken: cancellationToken);
        var member = new NodeMember(
            _node.Name,
            _component,
            _node.ToLabels(),
            Environment.MachineName,
            Environment.ProcessId,
            ServerEndpoints(),
            DateTimeOffset.UtcNow,
            Version);
        await _etcd.KeyValue.PutAsync(new PutRequest
        {
            Key = EtcdKeys.ToBytes(Key),
            Value = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(member, ClusterJson.Options)),
            Lease = grant.ID,
        }, cancellationToken: cancellationToken);

        _leaseId = grant.ID;
        IsRegistered = true;
        _state = "registered";
        _logger.LogInformation("Registered {Key} under lease {Lease:x} (ttl {Ttl} s).", Key, grant.ID, grant.TTL);
        return grant.ID;
    }

    private Task KeepAliveAsync(long lease, CancellationToken stoppingToken) =>
        EtcdLeases.KeepAliveAsync(_etcd, lease, TimeSpan.FromSeconds(_node.LeaseTtlSeconds), stoppingToken);

    private async Task RevokeAsync(CancellationToken cancellationToken)
    {
        // Leaving at once spares the control plane a TTL of waiting for a member that is already gone.
        if (IsRegistered && await EtcdLeases.TryRevokeAsync(_etcd, _leaseId, _logger, Key, cancellationToken))
        {
            IsRegistered = false;
        }
    }

    private Dictionary<string, string> ServerEndpoints()
    {
        var endpoints = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var address in _server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            var scheme = Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri.Scheme : "address";
            var name = scheme;
            for (var i = 1; endpoints.ContainsKey(name); i++)
            {
                name = $"{scheme}{i}";
            }

            endpoints[name] = address;
        }

        return endpoints;
    }
}
