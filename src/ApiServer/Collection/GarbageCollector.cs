using System.Text.Json.Nodes;
using Grpc.Core;
using Fluid.Aspire.ApiServer.Http;
using Fluid.Aspire.ApiServer.Kinds;
using Fluid.Aspire.ApiServer.Storage;

namespace Fluid.Aspire.ApiServer.Collection;

/// <summary>
/// Cascading deletion by owner references, as Kubernetes' garbage collector does it in the background: when an object
/// is gone, its dependents whose other owners are gone too are deleted. At start (and after a broken watch) a sweep
/// finds dependents whose owners went while nobody watched.
/// </summary>
internal sealed partial class GarbageCollector(ObjectRegistry registry, TimeProvider clock, ILogger<GarbageCollector> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var revision = await SweepAsync(stoppingToken);
                await foreach (var change in registry.Storage.WatchAsync(null, null, revision, new StorageWatchOptions(DeletionsOnly: true), stoppingToken))
                {
                    if (change is { Type: StorageEventType.Deleted, Value: { } gone })
                    {
                        await CollectAsync(await registry.DependentsAsync(gone, stoppingToken), stoppingToken);
                    }
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogBroken(ex);
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && stoppingToken.IsCancellationRequested)
            {
                // The server is stopping: etcd's watch ends as a cancelled call, which is not a failure of the host.
                return;
            }
        }
    }

    /// <summary>Deletes every dependent whose owners are all gone, from one snapshot; returns its revision.</summary>
    private async Task<long> SweepAsync(CancellationToken cancellationToken)
    {
        var revision = await registry.Storage.RevisionAsync(cancellationToken);
        var objects = new List<(ServedKind Kind, JsonObject Value)>();
        foreach (var kind in ServedKinds.All)
        {
            var page = await registry.Storage.ListAsync(kind, null, ObjectRegistry.Everything, 0, revision, null, cancellationToken);
            objects.AddRange(page.Items.Select(item => (kind, item)));
        }

        var uids = objects.Select(o => ObjectRegistry.Text(ObjectRegistry.Metadata(o.Value), "uid")).ToHashSet(StringComparer.Ordinal);
        var orphans = objects.Where(o => ObjectRegistry.OwnerUids(o.Value).ToList() is { Count: > 0 } owners && !owners.Any(uids.Contains)).ToList();
        await CollectAsync(orphans, cancellationToken);
        return revision;
    }

    private async Task CollectAsync(IEnumerable<(ServedKind Kind, JsonObject Value)> dependents, CancellationToken cancellationToken)
    {
        foreach (var (kind, dependent) in dependents)
        {
            var metadata = ObjectRegistry.Metadata(dependent);
            var namespaceName = ObjectRegistry.Text(metadata, "namespace");
            var name = ObjectRegistry.Text(metadata, "name")!;
            if (await AnyOwnerExistsAsync(metadata, namespaceName, cancellationToken))
            {
                continue;
            }

            try
            {
                await registry.DeleteAsync(kind, namespaceName, name, null, cancellationToken);
                LogCollected(kind.Kind, namespaceName, name);
            }
            catch (ApiException ex) when (ex.Code == 404)
            {
                // Already gone.
            }
        }
    }

    private async Task<bool> AnyOwnerExistsAsync(JsonObject metadata, string? namespaceName, CancellationToken cancellationToken)
    {
        foreach (var owner in (metadata["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (ServedKinds.FindByApiVersion(ObjectRegistry.Text(owner, "apiVersion"), ObjectRegistry.Text(owner, "kind")) is not { } kind)
            {
                // An owner of a kind not served here cannot be looked up: keep the dependent rather than guess.
                return true;
            }

            var found = await registry.GetAsync(kind, namespaceName, ObjectRegistry.Text(owner, "name") ?? "", cancellationToken);
            if (found is not null && ObjectRegistry.Text(ObjectRegistry.Metadata(found), "uid") == ObjectRegistry.Text(owner, "uid"))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Kind} {Namespace}/{Name}: its owners are gone")]
    private partial void LogCollected(string kind, string? @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The garbage collector's watch broke; sweeping again")]
    private partial void LogBroken(Exception exception);
}
