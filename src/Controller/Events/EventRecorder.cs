using k8s.Models;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Store;

namespace Fluid.Aspire.Controller.Events;

/// <summary>
/// Records what happened to a resource as Events (Kubernetes' shape), which <c>fluid describe</c> shows. A repeat
/// of the same reason and message bumps the count of the existing event instead of adding one. Failing to record
/// never fails the reconcile that records.
/// </summary>
public sealed class EventRecorder(IResourceStore store, TimeProvider clock, ILogger<EventRecorder> logger)
{
    private const string Component = "fluid-controller";

    public Task NormalAsync(Resource about, string reason, string message, CancellationToken cancellationToken) =>
        RecordAsync(about, EventType.Normal, reason, message, cancellationToken);

    public Task WarningAsync(Resource about, string reason, string message, CancellationToken cancellationToken) =>
        RecordAsync(about, EventType.Warning, reason, message, cancellationToken);

    /// <summary>The events of a resource, oldest first.</summary>
    public async Task<IReadOnlyList<Event>> ListAsync(Resource about, CancellationToken cancellationToken)
    {
        var events = await store.ListAsync<Event>(about.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
        return [.. events.Items
            .Where(e => e.InvolvedObject.Kind == about.Kind && e.InvolvedObject.Name == about.Metadata.Name)
            .OrderBy(e => e.FirstTimestamp)];
    }

    /// <summary>
    /// Deletes the events of a resource that is gone, so that they do not outlive it (Kubernetes lets them expire
    /// instead; a local stack has no such clock, and a re-created object of the same name starts afresh).
    /// </summary>
    public async Task ForgetAsync(ResourceKind kind, string key, CancellationToken cancellationToken)
    {
        var (ns, name) = Runtime.ResourceKeys.Split(key);
        var events = await store.ListAsync<Event>(ns, cancellationToken: cancellationToken);
        foreach (var stale in events.Items.Where(e => e.InvolvedObject.Kind == kind.Kind && e.InvolvedObject.Name == name))
        {
            try
            {
                await store.DeleteAsync<Event>(stale.Metadata.Name, ns, cancellationToken);
            }
            catch (ResourceNotFoundException)
            {
                // Deleted meanwhile.
            }
        }
    }

    private async Task RecordAsync(Resource about, EventType type, string reason, string message, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();

        // One event per object, reason and message, named after them: a repeat is found by name, not by a scan. Most
        // events are new, so the create comes first and a taken name means a repeat to count.
        var name = NameFor(about, reason, message);
        var ns = about.Metadata.NamespaceProperty;
        try
        {
            try
            {
                await store.CreateAsync(new Event
                {
                    Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
                    InvolvedObject = ObjectReference.To(about),
                    Type = type,
                    Reason = reason,
                    Message = message,
                    FirstTimestamp = now,
                    LastTimestamp = now,
                    Source = new EventSource { Component = Component },
                }, cancellationToken);
            }
            catch (ResourceAlreadyExistsException)
            {
                if (await store.GetAsync<Event>(name, ns, cancellationToken) is { } existing)
                {
                    existing.Count++;
                    existing.LastTimestamp = now;
                    await store.UpdateAsync(existing, cancellationToken);
                }
            }
        }
        catch (ResourceStoreException ex)
        {
            // A lost race with another repeat of the same event, or etcd away: the event is not worth failing for.
            logger.LogDebug("Could not record the event {Reason} of {Resource}: {Problem}", reason, about, ex.Message);
        }

        logger.Log(type == EventType.Warning ? LogLevel.Warning : LogLevel.Information, "{Resource}: {Reason}: {Message}", about, reason, message);
    }

    private static string NameFor(Resource about, string reason, string message)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{about.Kind}/{about.Metadata.Uid}/{reason}/{message}"));
        return $"{about.Metadata.Name}.{Convert.ToHexStringLower(hash)[..16]}";
    }
}
