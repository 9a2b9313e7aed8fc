using Fluid.Aspire.Contracts;

namespace Fluid.Aspire.Controller.Reconciliation;

/// <summary>
/// Brings the world in line with one resource, level-triggered: it is called with the resource as the cache has it
/// now (null once deleted), whatever changed, as often as needed, and must be idempotent.
/// </summary>
public interface IReconciler<in T>
    where T : Resource
{
    /// <returns>When to look again without a change (a timer, a poll), or null.</returns>
    Task<TimeSpan?> ReconcileAsync(string key, T? resource, CancellationToken cancellationToken);
}
