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
/// describe</c> show. A repeat of the same reason and message bumps the count of the existing event instead of
/// adding one. Failing to record never fails the reconcile that records.
/// </summary>
public sealed class EventRecorder(k8s.Kubernetes kubernetes, TimeProvider clock, ILogger<EventRecorder> logger)
{
    private const string Component = "fluid-controller";
    private const string Normal = "Normal";
    private const string Warning = "Warning";

    public Task NormalAsync(Resource about, string reason, string message, CancellationToken cancellationToken) =>
        RecordAsync(about, Normal, reason, message, cancellationToken);

    public Task WarningAsync(Resource about, string reason, string message, CancellationToken cancellationToken) =>
        RecordAsync(about, Warning, reason, message, cancellationToken);

    /// <summary>
    /// Deletes the events of a resource that is gone, so that they do not outlive it (Kubernetes lets them expire
    /// instead; a local stack has no such clock, and a re-created object of the same name starts afresh).
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

    private async Task RecordAsync(Resource about, string type, string reason, string message, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;

        // One event per object, reason and message, named after them: a repeat is found by name, not by a scan. Most
        // events are new, so the create comes first and a taken name means a repeat to count.
        var name = NameFor(about, reason, message);
        var ns = about.Metadata.NamespaceProperty;
        try
        {
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
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // A create's only conflict is AlreadyExists: the name is taken by an earlier occurrence.
                var existing = await kubernetes.CoreV1.ReadNamespacedEventAsync(name, ns, cancellationToken: cancellationToken);
                existing.Count = (existing.Count ?? 1) + 1;
                existing.LastTimestamp = now;
                await kubernetes.CoreV1.ReplaceNamespacedEventAsync(existing, name, ns, cancellationToken: cancellationToken);
            }
        }
        catch (Exception ex) when (ex is HttpOperationException || TransientRetry.IsTransient(ex))
        {
            // A lost race with another repeat of the same event, or the API server away: the event is not worth failing for.
            logger.LogDebug("Could not record the event {Reason} of {Resource}: {Problem}", reason, about, ex.Message);
        }

        logger.Log(type == Warning ? LogLevel.Warning : LogLevel.Information, "{Resource}: {Reason}: {Message}", about, reason, message);
    }

    private static string NameFor(Resource about, string reason, string message)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{about.Kind}/{about.Metadata.Uid}/{reason}/{message}"));
        return $"{about.Metadata.Name}.{Convert.ToHexStringLower(hash)[..16]}";
    }
}
