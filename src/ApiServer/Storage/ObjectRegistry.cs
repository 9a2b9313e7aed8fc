using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Fluid.Aspire.ApiServer.Http;
using Fluid.Aspire.ApiServer.Kinds;
using Fluid.Aspire.ApiServer.Patching;
using k8s.Models;

namespace Fluid.Aspire.ApiServer.Storage;

/// <summary>The result of a write: the object as stored (or as it would be, for a dry run) and warnings for the client.</summary>
public sealed record Written(JsonObject Value, IReadOnlyList<string> Warnings);

/// <summary>The result of a delete: the object as it last was, and whether it is gone or only marked, waiting for finalizers.</summary>
public sealed record Deletion(JsonObject Value, bool Gone);

/// <summary>One event of a watch, in the API's terms: ADDED, MODIFIED, DELETED or BOOKMARK.</summary>
public sealed record WatchedEvent(string Type, JsonObject Value);

/// <summary>
/// The API's semantics on top of <see cref="ObjectStorage"/>, whatever the transport: the metadata the server owns
/// (uid, generation, timestamps, resourceVersion), the status subresource, optimistic concurrency, patches,
/// finalizers and <c>deletionTimestamp</c>, and watches that translate storage changes into what a selector sees.
/// </summary>
public sealed class ObjectRegistry(ObjectStorage storage, TimeProvider clock)
{
    /// <summary>The annotation of the bookmark that ends a watch's initial events (<c>sendInitialEvents=true</c>).</summary>
    public const string InitialEventsEnd = "k8s.io/initial-events-end";

    private const int PatchAttempts = 8;

    public ObjectStorage Storage => storage;

    public Task<JsonObject?> GetAsync(ServedKind kind, string? namespaceName, string name, CancellationToken cancellationToken) =>
        storage.GetAsync(kind, namespaceName, name, cancellationToken);

    /// <exception cref="ApiException">404 when there is no such object.</exception>
    public async Task<JsonObject> GetRequiredAsync(ServedKind kind, string? namespaceName, string name, CancellationToken cancellationToken) =>
        await storage.GetAsync(kind, namespaceName, name, cancellationToken) ?? throw ApiException.NotFound(kind.Plural, kind.Group, name);

    public async Task<Written> CreateAsync(
        ServedKind kind, string? namespaceName, JsonObject body, FieldValidation validation, bool dryRun, CancellationToken cancellationToken)
    {
        CheckTypeMeta(kind, body);
        var metadata = Metadata(body);
        SetNamespace(kind, metadata, namespaceName);
        if (string.IsNullOrEmpty(Text(metadata, "name")))
        {
            metadata["name"] = Text(metadata, "generateName") is { Length: > 0 } generateName
                ? generateName + RandomSuffix()
                : throw ApiException.Invalid(kind.Kind, kind.Group, "", [("metadata.name", "Required value: name or generateName is required")]);
        }

        foreach (var field in (string[])["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"])
        {
            metadata.Remove(field);
        }

        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Timestamp(clock.GetUtcNow());
        metadata["generation"] = 1;
        if (kind.Schema is not null)
        {
            // A custom kind's status is the controller's, written through the subresource; a create cannot set it.
            body.Remove("status");
        }
        else if (kind == ServedKinds.Namespace)
        {
            body["status"] = new JsonObject { ["phase"] = "Active" };
        }

        var admitted = await AdmitAsync(kind, body, null, validation, cancellationToken);
        if (dryRun)
        {
            return kind.Namespaced && await storage.GetAsync(ServedKinds.Namespace, null, Text(metadata, "namespace")!, cancellationToken) is null
                ? throw ApiException.NotFound("namespaces", "", Text(metadata, "namespace")!)
                : new Written(admitted.Value, admitted.Warnings);
        }

        var created = await storage.CreateAsync(kind, admitted.Value, cancellationToken)
            ?? throw ApiException.AlreadyExists(kind.Plural, kind.Group, Text(metadata, "name")!);
        return new Written(created, admitted.Warnings);
    }

    public async Task<Written> UpdateAsync(
        ServedKind kind, string? namespaceName, string name, JsonObject body, bool status, FieldValidation validation, bool dryRun, CancellationToken cancellationToken)
    {
        CheckTypeMeta(kind, body);
        var metadata = Metadata(body);
        SetNamespace(kind, metadata, namespaceName);
        var bodyName = Text(metadata, "name");
        if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        metadata["name"] = name;
        if (string.IsNullOrEmpty(Text(metadata, "resourceVersion")))
        {
            throw ApiException.Invalid(kind.Kind, kind.Group, name,
                [("metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update; read the object and update what you read")]);
        }

        var stored = await storage.GetForUpdateAsync(kind, namespaceName, name, Text(metadata, "resourceVersion"), cancellationToken)
            ?? throw ApiException.NotFound(kind.Plural, kind.Group, name);
        if (Text(Metadata(stored), "resourceVersion") != Text(metadata, "resourceVersion"))
        {
            throw Modified(kind, name);
        }

        return await WriteAsync(kind, stored, body, status, validation, dryRun, cancellationToken);
    }

    /// <summary>
    /// Applies a patch to the stored object and writes it; without a resourceVersion in the patch, a concurrent write
    /// makes it read and apply again, as Kubernetes does.
    /// </summary>
    public async Task<Written> PatchAsync(
        ServedKind kind, string? namespaceName, string name, PatchType type, JsonNode patch, bool status, FieldValidation validation, bool dryRun,
        CancellationToken cancellationToken)
    {
        var precondition = patch["metadata"]?["resourceVersion"]?.GetValue<string>();
        for (var attempt = 1; ; attempt++)
        {
            var stored = await GetRequiredAsync(kind, namespaceName, name, cancellationToken);
            var version = Text(Metadata(stored), "resourceVersion");
            if (precondition is not null && precondition != version)
            {
                throw Modified(kind, name);
            }

            var patched = (type == PatchType.Merge ? MergePatch.Apply(stored, patch) : StrategicMergePatch.Apply(stored, patch)) as JsonObject
                ?? throw ApiException.BadRequest("the patch turns the object into something that is not a JSON object; patch fields of it instead");
            var metadata = Metadata(patched);
            metadata["resourceVersion"] = version;
            if (Text(metadata, "name") != name)
            {
                throw ApiException.BadRequest($"a patch cannot change metadata.name (from {name} to {Text(metadata, "name")}); create a new object instead");
            }

            try
            {
                return await WriteAsync(kind, stored, patched, status, validation, dryRun, cancellationToken);
            }
            catch (ApiException ex) when (ex.Reason == "Conflict" && precondition is null && attempt < PatchAttempts)
            {
                // Someone wrote between our read and our write: apply the patch to what they wrote.
            }
        }
    }

    /// <summary>
    /// Deletes an object: one its kind deletes gracefully (a running Pod) gets a <c>deletionTimestamp</c> a grace period
    /// ahead and goes when deleted again with none; one with finalizers gets a <c>deletionTimestamp</c> and goes when
    /// the last finalizer is removed; any other goes now. Dependents (by owner reference) are deleted in the background
    /// by the garbage collector, or kept and released with <c>propagationPolicy: Orphan</c>.
    /// </summary>
    public async Task<Deletion> DeleteAsync(ServedKind kind, string? namespaceName, string name, V1DeleteOptions? options, CancellationToken cancellationToken)
    {
        var policy = options?.PropagationPolicy ?? (options?.OrphanDependents == true ? "Orphan" : "Background");
        if (policy is not ("Background" or "Orphan"))
        {
            throw ApiException.BadRequest(
                $"propagationPolicy {policy} is not supported by the local API server: use Background (the default; dependents go after the owner) or Orphan (kubectl delete --cascade=orphan)");
        }

        while (true)
        {
            var stored = await GetRequiredAsync(kind, namespaceName, name, cancellationToken);
            var metadata = Metadata(stored);
            CheckPreconditions(kind, name, metadata, options?.Preconditions);
            if (policy == "Orphan")
            {
                await OrphanDependentsAsync(stored, cancellationToken);
            }

            var revision = long.Parse(Text(metadata, "resourceVersion")!, CultureInfo.InvariantCulture);
            if (kind.GracePeriod?.Invoke(stored, options) is { } grace)
            {
                // Marked, not gone: what runs the object stops it and deletes it again with no grace. A second request
                // may shorten the grace period, never lengthen it.
                if (metadata["deletionGracePeriodSeconds"]?.GetValue<long>() is { } given && given <= grace)
                {
                    return new Deletion(stored, Gone: false);
                }

                metadata["deletionTimestamp"] = Timestamp(clock.GetUtcNow().AddSeconds(grace));
                metadata["deletionGracePeriodSeconds"] = grace;
                if (await storage.ReplaceAsync(kind, stored, revision, cancellationToken) is { } graceful)
                {
                    return new Deletion(graceful, Gone: false);
                }

                continue;
            }

            if (metadata["finalizers"] is JsonArray { Count: > 0 })
            {
                if (metadata["deletionTimestamp"] is not null)
                {
                    return new Deletion(stored, Gone: false);
                }

                metadata["deletionTimestamp"] = Timestamp(clock.GetUtcNow());
                metadata["deletionGracePeriodSeconds"] = 0;
                if (await storage.ReplaceAsync(kind, stored, revision, cancellationToken) is { } marked)
                {
                    return new Deletion(marked, Gone: false);
                }

                continue;
            }

            if (await storage.RemoveAsync(kind, stored, revision, cancellationToken) is { } removed)
            {
                metadata["resourceVersion"] = removed.ToString(CultureInfo.InvariantCulture);
                return new Deletion(stored, Gone: true);
            }
        }
    }

    /// <summary>
    /// Changes after <paramref name="afterRevision"/> as a client with these selectors (<paramref name="matches"/>, null
    /// for none) sees them: an object that starts matching is ADDED, one that stops is DELETED. Without a revision,
    /// first every matching object as ADDED (and with <paramref name="initialEventsEnd"/> a bookmark saying they are
    /// all sent).
    /// </summary>
    public async IAsyncEnumerable<WatchedEvent> WatchAsync(
        ServedKind kind, string? namespaceName, Func<JsonObject, bool>? matches, long? afterRevision, bool initialEventsEnd, TimeSpan? bookmarkEvery,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (afterRevision is not { } revision || revision == 0)
        {
            var page = await storage.ListAsync(kind, namespaceName, matches ?? Everything, 0, 0, null, cancellationToken);
            foreach (var item in page.Items)
            {
                yield return new WatchedEvent("ADDED", item);
            }

            revision = page.Revision;
            if (initialEventsEnd)
            {
                yield return Bookmark(kind, revision, initialEventsEnd: true);
            }
        }

        // Without a selector nothing starts or stops matching: the objects before writes need not be decoded.
        var options = new StorageWatchOptions(bookmarkEvery, PreviousOfWrites: matches is not null);
        matches ??= Everything;
        await foreach (var change in storage.WatchAsync(kind, namespaceName, revision, options, cancellationToken))
        {
            var now = change.Value is { } current && matches(current);
            var before = change.Previous is { } previous ? matches(previous) : now;
            var type = change.Type switch
            {
                StorageEventType.Progress => "BOOKMARK",
                StorageEventType.Added when now => "ADDED",
                StorageEventType.Modified when now && before => "MODIFIED",
                StorageEventType.Modified when now => "ADDED",
                StorageEventType.Modified when before => "DELETED",
                StorageEventType.Deleted when now => "DELETED",
                _ => null,
            };
            if (type == "BOOKMARK")
            {
                yield return Bookmark(kind, change.Revision, initialEventsEnd: false);
            }
            else if (type is not null)
            {
                yield return new WatchedEvent(type, change.Value!);
            }
        }
    }

    /// <summary>
    /// Dependents of <paramref name="owner"/>: objects in its namespace (anywhere, for a cluster-scoped owner) that name
    /// its uid as an owner, and for a Namespace everything in it.
    /// </summary>
    public async Task<List<(ServedKind Kind, JsonObject Value)>> DependentsAsync(JsonObject owner, CancellationToken cancellationToken)
    {
        var uid = Text(Metadata(owner), "uid");
        var isNamespace = Text(owner, "kind") == ServedKinds.Namespace.Kind && Text(owner, "apiVersion") == ServedKinds.Namespace.ApiVersion;
        var namespaceName = isNamespace ? Text(Metadata(owner), "name") : Text(Metadata(owner), "namespace");
        var dependents = new List<(ServedKind, JsonObject)>();
        foreach (var kind in ServedKinds.All.Where(k => k.Namespaced))
        {
            var page = await storage.ListAsync(kind, namespaceName, o => isNamespace || OwnerUids(o).Contains(uid), 0, 0, null, cancellationToken);
            dependents.AddRange(page.Items.Select(item => (kind, item)));
        }

        return dependents;
    }

    /// <summary>The filter of a request without selectors.</summary>
    public static bool Everything(JsonObject value) => true;

    /// <summary>The uids of an object's owners.</summary>
    public static IEnumerable<string?> OwnerUids(JsonObject value) =>
        (value["metadata"]?["ownerReferences"] as JsonArray ?? []).Select(o => o?["uid"]?.GetValue<string>());

    /// <summary>An object's metadata, created when missing.</summary>
    public static JsonObject Metadata(JsonObject value)
    {
        if (value["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            value["metadata"] = metadata;
        }

        return metadata;
    }

    /// <summary>A string field, or null.</summary>
    public static string? Text(JsonObject value, string field) => value[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>RFC 3339 in UTC, with a fraction only when there is one (as the rest of the project writes timestamps).</summary>
    public static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private async Task<Written> WriteAsync(
        ServedKind kind, JsonObject stored, JsonObject desired, bool statusOnly, FieldValidation validation, bool dryRun, CancellationToken cancellationToken)
    {
        var storedMetadata = Metadata(stored);
        var name = Text(storedMetadata, "name")!;
        // A uid in the body is a precondition, as in Kubernetes: a write meant for an object deleted and created again fails.
        if (Text(Metadata(desired), "uid") is { Length: > 0 } uid)
        {
            CheckPreconditions(kind, name, storedMetadata, new V1Preconditions { Uid = uid });
        }

        JsonObject next;
        if (statusOnly)
        {
            next = stored.DeepClone().AsObject();
            Replace(next, "status", desired["status"]);
        }
        else
        {
            next = desired.DeepClone().AsObject();
            if (kind.HasStatus)
            {
                Replace(next, "status", stored["status"]);
            }

            var metadata = Metadata(next);
            foreach (var field in (string[])["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name"])
            {
                Replace(metadata, field, storedMetadata[field]);
            }

            metadata.Remove("managedFields");
            if (storedMetadata["deletionTimestamp"] is not null && Finalizers(metadata).Except(Finalizers(storedMetadata)).FirstOrDefault() is { } added)
            {
                throw ApiException.Invalid(kind.Kind, kind.Group, name,
                    [("metadata.finalizers", $"Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers [\"{added}\"]")]);
            }

            if (!SameBody(next, stored))
            {
                metadata["generation"] = (storedMetadata["generation"]?.GetValue<long>() ?? 0) + 1;
            }
        }

        next["apiVersion"] = kind.ApiVersion;
        next["kind"] = kind.Kind;
        var admitted = await AdmitAsync(kind, next, stored, validation, cancellationToken);
        var result = admitted.Value;
        Metadata(result)["resourceVersion"] = storedMetadata["resourceVersion"]?.DeepClone();
        if (dryRun || JsonNode.DeepEquals(result, stored))
        {
            // Nothing changed: no write, no new resourceVersion, no watch event, as in Kubernetes.
            return new Written(dryRun ? result : stored, admitted.Warnings);
        }

        var revision = long.Parse(Text(storedMetadata, "resourceVersion")!, CultureInfo.InvariantCulture);
        var resultMetadata = Metadata(result);
        if (resultMetadata["deletionTimestamp"] is not null && Finalizers(resultMetadata).Count == 0 && Finalizers(storedMetadata).Count > 0)
        {
            // The last finalizer is gone from an object being deleted: the deletion completes. (A pod deleted gracefully
            // with no finalizers stays, status writes and all, until it is deleted with no grace.)
            var removed = await storage.RemoveAsync(kind, result, revision, cancellationToken) ?? throw Modified(kind, name);
            resultMetadata["resourceVersion"] = removed.ToString(CultureInfo.InvariantCulture);
            return new Written(result, admitted.Warnings);
        }

        var written = await storage.ReplaceAsync(kind, result, revision, cancellationToken) ?? throw Modified(kind, name);
        return new Written(written, admitted.Warnings);
    }

    private ValueTask<Admitted> AdmitAsync(ServedKind kind, JsonObject value, JsonObject? stored, FieldValidation validation, CancellationToken cancellationToken) =>
        kind.Admission.AdmitAsync(kind, value, stored, validation, (other, ns, otherName, ct) => new ValueTask<JsonObject?>(storage.GetAsync(other, ns, otherName, ct)), cancellationToken);

    private async Task OrphanDependentsAsync(JsonObject owner, CancellationToken cancellationToken)
    {
        var uid = Text(Metadata(owner), "uid");
        foreach (var (kind, dependent) in await DependentsAsync(owner, cancellationToken))
        {
            var references = new JsonArray([.. (Metadata(dependent)["ownerReferences"] as JsonArray ?? []).Where(r => r?["uid"]?.GetValue<string>() != uid).Select(r => r?.DeepClone())]);
            var patch = new JsonObject { ["metadata"] = new JsonObject { ["ownerReferences"] = references } };
            await PatchAsync(kind, Text(Metadata(dependent), "namespace"), Text(Metadata(dependent), "name")!, PatchType.Merge, patch, false, FieldValidation.Ignore, false, cancellationToken);
        }
    }

    private static void CheckPreconditions(ServedKind kind, string name, JsonObject metadata, V1Preconditions? preconditions)
    {
        if (preconditions?.Uid is { } uid && uid != Text(metadata, "uid"))
        {
            throw ApiException.Conflict(kind.Plural, kind.Group, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {Text(metadata, "uid")}");
        }

        if (preconditions?.ResourceVersion is { } version && version != Text(metadata, "resourceVersion"))
        {
            throw ApiException.Conflict(kind.Plural, kind.Group, name,
                $"Precondition failed: ResourceVersion in precondition: {version}, ResourceVersion in meta: {Text(metadata, "resourceVersion")}");
        }
    }

    private static void CheckTypeMeta(ServedKind kind, JsonObject body)
    {
        var apiVersion = Text(body, "apiVersion");
        var kindName = Text(body, "kind");
        if ((!string.IsNullOrEmpty(apiVersion) && apiVersion != kind.ApiVersion) || (!string.IsNullOrEmpty(kindName) && kindName != kind.Kind))
        {
            throw ApiException.BadRequest(
                $"the object is a {kindName} of {apiVersion}, but this URL serves {kind.Kind} of {kind.ApiVersion}; send it to its own resource's URL");
        }

        body["apiVersion"] = kind.ApiVersion;
        body["kind"] = kind.Kind;
    }

    private static void SetNamespace(ServedKind kind, JsonObject metadata, string? namespaceName)
    {
        if (!kind.Namespaced)
        {
            metadata.Remove("namespace");
            return;
        }

        var given = Text(metadata, "namespace");
        if (!string.IsNullOrEmpty(given) && namespaceName is not null && given != namespaceName)
        {
            throw ApiException.BadRequest(
                $"the namespace of the provided object ({given}) does not match the namespace sent on the request ({namespaceName})");
        }

        metadata["namespace"] = namespaceName ?? (string.IsNullOrEmpty(given) ? "default" : given);
    }

    private static ApiException Modified(ServedKind kind, string name) =>
        ApiException.Conflict(kind.Plural, kind.Group, name, "the object has been modified; please apply your changes to the latest version and try again");

    private static WatchedEvent Bookmark(ServedKind kind, long revision, bool initialEventsEnd)
    {
        var metadata = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd)
        {
            metadata["annotations"] = new JsonObject { [InitialEventsEnd] = "true" };
        }

        return new WatchedEvent("BOOKMARK", new JsonObject { ["apiVersion"] = kind.ApiVersion, ["kind"] = kind.Kind, ["metadata"] = metadata });
    }

    /// <summary>True when everything but metadata and status (what a generation counts changes of) is the same.</summary>
    private static bool SameBody(JsonObject left, JsonObject right)
    {
        static IEnumerable<string> Fields(JsonObject value) => value.Select(f => f.Key).Where(name => name is not ("metadata" or "status" or "apiVersion" or "kind"));
        return Fields(left).Union(Fields(right)).All(name => JsonNode.DeepEquals(left[name], right[name]));
    }

    private static List<string> Finalizers(JsonObject metadata) =>
        [.. (metadata["finalizers"] as JsonArray ?? []).Select(f => f?.GetValue<string>() ?? "")];

    private static void Replace(JsonObject target, string field, JsonNode? value)
    {
        if (value is null)
        {
            target.Remove(field);
        }
        else
        {
            target[field] = value.DeepClone();
        }
    }

    private static string RandomSuffix()
    {
        const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
        });
    }
}

/// <summary>The patch formats served.</summary>
public enum PatchType
{
    /// <summary><c>application/merge-patch+json</c> (RFC 7386).</summary>
    Merge,

    /// <summary><c>application/strategic-merge-patch+json</c>, for built-in kinds.</summary>
    Strategic,
}
