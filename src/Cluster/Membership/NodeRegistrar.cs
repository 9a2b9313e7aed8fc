using System.Net;
using System.Reflection;
using Fluid.Aspire.Cluster.Resilience;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Cluster.Membership;

/// <summary>
/// Keeps this daemon a member of its node for as long as the process lives: its <see cref="MemberLease"/> on the
/// Kubernetes API, renewed three times per lease duration and deleted on stop. If the process dies the lease is no
/// longer renewed, which is how the control plane learns that the daemon is gone. Where nodes are simulated
/// (<see cref="NodeOptions.Register"/>) it also keeps the node's Node object with the node's labels.
/// </summary>
public sealed class NodeRegistrar : BackgroundService, IHealthCheck
{
    private static readonly string Version =
        typeof(NodeRegistrar).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private readonly k8s.Kubernetes _kubernetes;
    private readonly string _namespace;
    private readonly NodeOptions _node;
    private readonly string _component;
    private readonly IServer _server;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _clock;
    private readonly ILogger<NodeRegistrar> _logger;
    private V1Lease? _lease;
    private string _state = "waiting for the server to start";

    public NodeRegistrar(
        k8s.Kubernetes kubernetes,
        string namespaceName,
        IOptions<NodeOptions> node,
        string component,
        IServer server,
        IHostApplicationLifetime lifetime,
        TimeProvider clock,
        ILogger<NodeRegistrar> logger)
    {
        _kubernetes = kubernetes;
        _namespace = namespaceName;
        _node = node.Value;
        _component = component;
        _server = server;
        _lifetime = lifetime;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>The Lease of this registration, <c>namespace/name</c>.</summary>
    public string Lease => $"{_namespace}/{MemberLease.Name(_node.Name, _component)}";

    /// <summary>True while the lease is held and renewed in time.</summary>
    public bool IsRegistered { get; private set; }

    private TimeSpan Duration => TimeSpan.FromSeconds(_node.LeaseTtlSeconds);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(IsRegistered
            ? HealthCheckResult.Healthy($"holding Lease {Lease}")
            : HealthCheckResult.Unhealthy($"not holding Lease {Lease}: {_state}"));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await ReleaseAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Register only once the server listens, so that a registered member is one that can be called.
        await _lifetime.WhenStartedAsync(stoppingToken);
        var retry = TransientRetry.Forever(_logger, $"Registering Lease {Lease}");
        while (!stoppingToken.IsCancellationRequested)
        {
            await retry.ExecuteAsync(RegisterAsync, stoppingToken);
            try
            {
                await RenewAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && (TransientRetry.IsTransient(ex) || ex is HttpOperationException))
            {
                _state = $"renewing failed: {ex.Message}";
                _logger.LogWarning("Renewing Lease {Lease} failed for longer than its {Ttl} s ({Reason}); registering again.",
                    Lease, _node.LeaseTtlSeconds, ex.Message);
            }

            IsRegistered = false;
        }
    }

    private async ValueTask RegisterAsync(CancellationToken cancellationToken)
    {
        if (_node.Register)
        {
            await KeepNodeAsync(cancellationToken);
        }

        var now = _clock.GetUtcNow();
        var member = new NodeMember(_node.Name, _component, Environment.MachineName, Environment.ProcessId, ServerEndpoints(), now, now + Duration, Version);
        var lease = MemberLease.For(member, Duration, now);
        try
        {
            _lease = await _kubernetes.CoordinationV1.CreateNamespacedLeaseAsync(lease, _namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // The lease of this daemon's previous life (a crash, or a lost answer): this process holds it now.
            var previous = await _kubernetes.CoordinationV1.ReadNamespacedLeaseAsync(lease.Metadata.Name, _namespace, cancellationToken: cancellationToken);
            lease.Metadata.ResourceVersion = previous.Metadata.ResourceVersion;
            lease.Spec.LeaseTransitions = (previous.Spec?.LeaseTransitions ?? 0) + 1;
            _lease = await _kubernetes.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, lease.Metadata.Name, _namespace, cancellationToken: cancellationToken);
        }

        IsRegistered = true;
        _state = "registered";
        _logger.LogInformation("Registered as {Component} of node {Node}: Lease {Lease} (duration {Ttl} s).", _component, _node.Name, Lease, _node.LeaseTtlSeconds);
    }

    /// <summary>Renews the lease until stopped; throws once renewals have failed for a whole lease duration.</summary>
    private async Task RenewAsync(CancellationToken stoppingToken)
    {
        var renewed = _clock.GetUtcNow();
        while (true)
        {
            await Task.Delay(Duration / 3, _clock, stoppingToken);
            var lease = _lease!;
            lease.Spec.RenewTime = _clock.GetUtcNow().UtcDateTime;
            try
            {
                _lease = await _kubernetes.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, lease.Metadata.Name, _namespace, cancellationToken: stoppingToken);
                renewed = _clock.GetUtcNow();
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                _state = "the lease was changed or deleted by someone else";
                _logger.LogWarning("Lease {Lease} was changed or deleted by someone else ({Status}); registering again.", Lease, (int)ex.Response.StatusCode);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && TransientRetry.IsTransient(ex) && _clock.GetUtcNow() - renewed < Duration)
            {
                _logger.LogWarning("Renewing Lease {Lease} failed ({Reason}); trying again.", Lease, ex.Message);
            }
        }
    }

    private async Task KeepNodeAsync(CancellationToken cancellationToken)
    {
        var labels = new Dictionary<string, string>(_node.ToLabels(), StringComparer.Ordinal) { [NodeLabels.Simulated] = "true" };
        try
        {
            await _kubernetes.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = _node.Name, Labels = labels } },
                cancellationToken: cancellationToken);
            _logger.LogInformation("Created Node {Node}.", _node.Name);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var existing = await _kubernetes.CoreV1.ReadNodeAsync(_node.Name, cancellationToken: cancellationToken);
            if (labels.Any(l => existing.Metadata.Labels?.TryGetValue(l.Key, out var value) != true || value != l.Value))
            {
                await _kubernetes.CoreV1.PatchNodeAsync(new V1Patch(new { metadata = new { labels } }, V1Patch.PatchType.MergePatch), _node.Name,
                    cancellationToken: cancellationToken);
                _logger.LogInformation("Labelled Node {Node}.", _node.Name);
            }
        }
    }

    private async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        // Leaving at once spares the control plane a lease duration of waiting for a member that is already gone.
        if (!IsRegistered)
        {
            return;
        }

        IsRegistered = false;
        try
        {
            await _kubernetes.CoordinationV1.DeleteNamespacedLeaseAsync(MemberLease.Name(_node.Name, _component), _namespace, cancellationToken: cancellationToken);
            _logger.LogInformation("Released Lease {Lease}.", Lease);
        }
        catch (Exception ex) when (TransientRetry.IsTransient(ex) || ex is HttpOperationException or OperationCanceledException)
        {
            _logger.LogWarning("Could not release Lease {Lease} ({Reason}); it expires in {Ttl} s.", Lease, ex.Message, _node.LeaseTtlSeconds);
        }
    }

    private Dictionary<string, string> ServerEndpoints()
    {
        var endpoints = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var address in _server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            if (address.StartsWith(NodeMember.UnixAddressPrefix, StringComparison.Ordinal))
            {
                endpoints[NodeMember.UnixEndpoint] = address[NodeMember.UnixAddressPrefix.Length..];
                continue;
            }

            var scheme = Uri.TryCreate(Reachable(address), UriKind.Absolute, out var uri) ? uri.Scheme : "address";
            var name = scheme;
            for (var i = 1; endpoints.ContainsKey(name); i++)
            {
                name = $"{scheme}{i}";
            }

            endpoints[name] = Reachable(address);
        }

        return endpoints;
    }

    /// <summary>The address with a wildcard host (<c>+</c>, <c>*</c>, <c>0.0.0.0</c>, <c>[::]</c>) replaced by the advertised one.</summary>
    private string Reachable(string address)
    {
        if (_node.AdvertiseAddress is not { Length: > 0 } advertised)
        {
            return address;
        }

        var start = address.IndexOf("://", StringComparison.Ordinal) + 3;
        var end = address.LastIndexOf(':');
        var host = start >= 3 && end > start ? address[start..end] : "";
        var literal = System.Net.IPAddress.TryParse(advertised, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{advertised}]" : advertised;
        return host is "+" or "*" or "0.0.0.0" or "[::]" ? address[..start] + literal + address[end..] : address;
    }
}
