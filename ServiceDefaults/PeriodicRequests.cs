using Microsoft.AspNetCore.Http;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The requests the stack makes on a timer rather than for a user: probes, lease renewals, store statistics, and
/// watches that stay open for minutes. Traced, they would be nearly every trace on the dashboard and bury the runs.
/// </summary>
internal static class PeriodicRequests
{
    private const string Leases = "/apis/coordination.k8s.io/";
    private const string StoreStats = "/fluid.objectstore.v1.ObjectStoreRpc/Stats";

    /// <summary>
    /// A request served: also any read that comes without a trace of its own. Clients that trace nothing send those
    /// on a timer (the SDK waiting for a run, informers listing again, kubectl); writes are traced, as work done.
    /// </summary>
    public static bool Match(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) && !request.Headers.ContainsKey("traceparent"))
        || Match(request.Path, request.QueryString.Value ?? "");

    public static bool Match(string path, string query) =>
        query.Contains("watch=true", StringComparison.Ordinal) || query.Contains("watch=1", StringComparison.Ordinal)
        || path.StartsWith(ServiceDefaultsExtensions.HealthPath, StringComparison.Ordinal)
        || path.StartsWith(ServiceDefaultsExtensions.AlivePath, StringComparison.Ordinal)
        || path.StartsWith(Leases, StringComparison.Ordinal)
        || path.Equals(StoreStats, StringComparison.Ordinal);
}
