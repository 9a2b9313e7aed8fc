using Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Fluid.Aspire.Cluster.Etcd;

/// <summary>Healthy while etcd answers a status request within two seconds.</summary>
public sealed class EtcdHealthCheck(EtcdConnection etcd) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var status = await etcd.Maintenance.StatusAsync(
                new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
            return HealthCheckResult.Healthy($"etcd {status.Version} at revision {status.Header.Revision}");
        }
        catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException)
        {
            return HealthCheckResult.Unhealthy(
                $"etcd at {string.Join(", ", etcd.ConnectionString.Endpoints)} does not answer: {ex.Message}", ex);
        }
    }
}
