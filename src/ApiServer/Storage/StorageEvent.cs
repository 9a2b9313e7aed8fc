using System.Text.Json.Nodes;

namespace Fluid.Aspire.ApiServer.Storage;

/// <summary>What a watch of the storage saw.</summary>
public enum StorageEventType
{
    /// <summary>An object was created.</summary>
    Added,

    /// <summary>An object was written.</summary>
    Modified,

    /// <summary>An object is gone.</summary>
    Deleted,

    /// <summary>No change, but everything up to <see cref="StorageEvent.Revision"/> has been seen (for bookmarks).</summary>
    Progress,
}

/// <summary>
/// One change, at the etcd revision that made it. <see cref="Value"/> is the object after the change (as it last was
/// for a deletion); <see cref="Previous"/> is the object before it, when etcd still had it.
/// </summary>
public sealed record StorageEvent(StorageEventType Type, JsonObject? Value, JsonObject? Previous, long Revision);

/// <summary>What a storage watch asks etcd for and decodes.</summary>
/// <param name="ProgressEvery">How often to report a <see cref="StorageEventType.Progress"/> event; never when null.</param>
/// <param name="PreviousOfWrites">
/// Whether a write's event carries the object as it was before (a selector needs it to tell an object that starts or
/// stops matching); a deletion's always does. Decoding it doubles a watcher's work.
/// </param>
/// <param name="DeletionsOnly">Only deletions (and progress): etcd leaves every write out of the stream.</param>
public sealed record StorageWatchOptions(TimeSpan? ProgressEvery = null, bool PreviousOfWrites = true, bool DeletionsOnly = false);

/// <summary>A page of objects read at one revision, and the key to continue after when there are more.</summary>
public sealed record StoredPage(IReadOnlyList<JsonObject> Items, long Revision, string? ContinueAfter);
