using Fluid.Aspire.Cluster.Kubernetes;
using System.Net;
using Fluid.Aspire.Cluster.Resilience;
using Fluid.Aspire.Contracts;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Fluid.Aspire.Controller.Events;

/// <summary>
/// Records what happened to a resource as Kubernetes' own Events, which <c>fluid describe</c> and <c>kubectl
/// describe</c> show. Repeats are folded as Kubernetes' event correlator folds similar events: one Event per source,
/// object (with its uid), type and reason, whose <c>count</c> and <c>lastTimestamp</c> grow and whose message is the
/// latest. The messages of one reason differ by occurrence (the attempt, its pod, its node, how long it took), so the
/// message is not part of the key: a step that runs every minute keeps one Started event, not one per run. The
/// Event's name is derived from the key, so that a repeat finds it without a list. Events expire where they are
/// stored (the API server's event TTL, an hour by default). Failing to record never fails the reconcile that records.
/// </summary>
public sealed class EventRecorder(k8s.Kubernetes kubernetes, TimeProvider clock, ILogger<EventRecorder> logger)
{
    private const string Component = "fluid-controller";
    private const string Normal = "Normal";
    private const string Warning = "Warning";

    /// <summary>How often a repeat is tried again when another repeat, or the event's expiry, came in between.</summary>
    private const int Attempts = 3;

    public Task NormalAsync(Resource about, string reason, string message, CancellationToken cancellationToken) =>
        RecordAsync(about, Normal, reason, message, cancellationToken);

    public Task WarningAsync(Resource about, string reason, string message, CancellationToken cancellationToken) =>
        RecordAsync(about, Warning, reason, message, cancellationToken);

    /// <summary>
    /// Deletes the events of a resource that is gone, so that they do not outlive it by their time to live, and a
    /// re-created object of the same name starts afresh.
    /// </summary>
    public async Task ForgetAsync(ResourceKind kind, string key, CancellationToken cancellationToken)
    {
        var (ns, name) = ResourceKeys.Split(key);
        var events = await kubernetes.CoreV1.ListNamespacedEventAsync(
            ns, fieldSelector: $"involvedObject.kind={kind.Kind},involvedObject.name={name}", cancellationToken: cancellationToken);
        foreach (var stale in events.Items)
        {
            try
            {
                await kubernetes.CoreV1.DeleteNamespacedEventAsync(stale.Metadata.Name, ns, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // Deleted meanwhile.
            }
        }
    }

    /// <summary>The name of the Event that records <paramref name="reason"/> events of type <paramref name="type"/> about <paramref name="about"/>.</summary>
    public static string NameFor(Resource about, string type, string reason)
    {
        ArgumentNullException.ThrowIfNull(about);
        var key = $"{Component}/{about.ApiVersion}/{about.Kind}/{about.Metadata.NamespaceProperty}/{about.Metadata.Name}/{about.Metadata.Uid}/{type}/{reason}";
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key));
        return $"{about.Metadata.Name}.{Convert.ToHexStringLower(hash)[..16]}";
    }

    private async Task RecordAsync(Resource about, string type, string reason, string message, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var name = NameFor(about, type, reason);
        var ns = about.Metadata.NamespaceProperty;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                // Most events are new, so the create comes first, and a taken name means a repeat to count.
                if (await TryCreateAsync(about, name, type, reason, message, now, cancellationToken))
                {
                    break;
                }

                try
                {
                    var existing = await kubernetes.CoreV1.ReadNamespacedEventAsync(name, ns, cancellationToken: cancellationToken);
                    existing.Count = (existing.Count ?? 1) + 1;
                    existing.LastTimestamp = now;
                    existing.Message = message;
                    await kubernetes.CoreV1.ReplaceNamespacedEventAsync(existing, name, ns, cancellationToken: cancellationToken);
                    break;
                }
                catch (HttpOperationException ex) when (attempt < Attempts && ex.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
                {
                    // Another repeat was counted since the read (409), or the event expired since the create (404): again.
                }
            }
        }
        catch (Exception ex) when (ex is HttpOperationException || TransientRetry.IsTransient(ex))
        {
            // The API server away, or refusing: the event is not worth failing for.
            logger.LogDebug("Could not record the event {Reason} of {Resource}: {Problem}", reason, about, ex.Message);
        }

        logger.Log(type == Warning ? LogLevel.Warning : LogLevel.Information, "{Resource}: {Reason}: {Message}", about, reason, message);
    }

    /// <summary>Creates the event as a first occurrence; false when its name is taken by an earlier one.</summary>
    private async Task<bool> TryCreateAsync(
        Resource about, string name, string type, string reason, string message, DateTime now, CancellationToken cancellationToken)
    {
        var ns = about.Metadata.NamespaceProperty;
        try
        {
            await kubernetes.CoreV1.CreateNamespacedEventAsync(new Corev1Event
            {
                ApiVersion = Corev1Event.KubeApiVersion,
                Kind = Corev1Event.KubeKind,
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
                InvolvedObject = new V1ObjectReference
                {
                    ApiVersion = about.ApiVersion,
                    Kind = about.Kind,
                    NamespaceProperty = ns,
                    Name = about.Metadata.Name,
                    Uid = about.Metadata.Uid,
                },
                Type = type,
                Reason = reason,
                Message = message,
                Count = 1,
                FirstTimestamp = now,
                LastTimestamp = now,
                Source = new V1EventSource { Component = Component },
            }, ns, cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // A create's only conflict is AlreadyExists.
            return false;
        }
    }
}
