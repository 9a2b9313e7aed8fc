using System.Text.Json;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Store;

namespace Fluid.Aspire.Controller.Reconciliation;

/// <summary>
/// Writes a status only when it differs from what is stored: a write wakes every watcher, so writing an unchanged
/// status would make controllers reconcile one another for ever.
/// </summary>
public static class StatusWrites
{
    public static async Task<T> WriteStatusIfChangedAsync<T, TStatus>(
        this IResourceStore store, T original, T updated, Func<T, TStatus> status, CancellationToken cancellationToken)
        where T : Resource
    {
        var before = JsonSerializer.Serialize(status(original), ResourceJson.Options);
        var after = JsonSerializer.Serialize(status(updated), ResourceJson.Options);
        return before == after ? original : await store.UpdateStatusAsync(updated, cancellationToken);
    }
}
