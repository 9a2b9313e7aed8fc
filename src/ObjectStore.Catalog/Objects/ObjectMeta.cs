using System.Text.Json.Serialization;

namespace Fluid.Aspire.ObjectStore.Objects;

/// <summary>
/// What an object is: its type name, size, labels, type-specific fields (a tensor's shape, an Arrow schema) and
/// members, which are objects in turn. The leaves are blobs: bytes in shared memory. Sealed objects never change.
/// </summary>
public sealed class ObjectMeta
{
    /// <summary>The type name of a blob leaf.</summary>
    public const string BlobTypeName = "fluid::Blob";

    /// <summary>How deep a metadata tree may nest; deeper trees are rejected, so that no input can exhaust the stack.</summary>
    public const int MaxDepth = 64;

    /// <summary>Beyond this many blobs, repeats are looked for in a set rather than one by one.</summary>
    private const int LinearSearchLimit = 16;

    /// <summary>Shared by every node without labels, fields or members; read-only even to a cast.</summary>
    internal static readonly IReadOnlyDictionary<string, string> NoStrings = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    internal static readonly IReadOnlyDictionary<string, ObjectMeta> NoMembers = System.Collections.ObjectModel.ReadOnlyDictionary<string, ObjectMeta>.Empty;

    public ObjectId Id { get; init; }

    public required string TypeName { get; init; }

    /// <summary>The bytes of the object's blobs, counted once per blob.</summary>
    public long NBytes { get; init; }

    /// <summary>The instance that created the object.</summary>
    public int Instance { get; init; }

    /// <summary>True once the metadata is in etcd, so that every instance sees the object and its names are global.</summary>
    public bool IsPersisted { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = NoStrings;

    /// <summary>Type-specific values: shape and element type of a tensor, schema of a record batch, and so on.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = NoStrings;

    /// <summary>Member objects by name, in the order they were added.</summary>
    public IReadOnlyDictionary<string, ObjectMeta> Members { get; init; } = NoMembers;

    [JsonIgnore]
    public bool IsBlob => TypeName == BlobTypeName;

    /// <summary>A blob leaf of <paramref name="length"/> bytes.</summary>
    public static ObjectMeta Blob(ObjectId id, long length) => new() { Id = id, TypeName = BlobTypeName, NBytes = length };

    /// <summary>A type-specific field, or a clear error naming the object and the field.</summary>
    public string Field(string name) =>
        Fields.TryGetValue(name, out var value)
            ? value
            : throw new FormatException($"{TypeName} {Id} has no field '{name}'; it was not written by a {TypeName} builder.");

    /// <summary>A member, or a clear error naming the object and the member.</summary>
    public ObjectMeta Member(string name) =>
        Members.TryGetValue(name, out var member)
            ? member
            : throw new FormatException($"{TypeName} {Id} has no member '{name}'.");

    /// <summary>Every blob leaf, depth first, each blob once even when several members share it.</summary>
    public IReadOnlyList<ObjectMeta> Blobs()
    {
        if (IsBlob)
        {
            return [this];
        }

        var blobs = new List<ObjectMeta>(Members.Count);
        HashSet<ObjectId>? seen = null;
        Collect(this, blobs, ref seen);
        return blobs;
    }

    /// <summary>A copy with the given identity, as the store records it when the object is created.</summary>
    public ObjectMeta WithIdentity(ObjectId id, int instance, bool persisted) => new()
    {
        Id = id,
        TypeName = TypeName,
        NBytes = NBytes,
        Instance = instance,
        IsPersisted = persisted,
        Labels = Labels,
        Fields = Fields,
        Members = Members,
    };

    /// <summary>A copy with <paramref name="labels"/> added to the labels.</summary>
    public ObjectMeta WithLabels(IReadOnlyDictionary<string, string> labels)
    {
        var merged = new Dictionary<string, string>(Labels, StringComparer.Ordinal);
        foreach (var (key, value) in labels)
        {
            merged[key] = value;
        }

        return new ObjectMeta
        {
            Id = Id,
            TypeName = TypeName,
            NBytes = NBytes,
            Instance = Instance,
            IsPersisted = IsPersisted,
            Labels = merged,
            Fields = Fields,
            Members = Members,
        };
    }

    /// <summary>A copy of the tree with every blob leaf replaced by <paramref name="replace"/>'s answer.</summary>
    public ObjectMeta ReplaceBlobs(Func<ObjectMeta, ObjectMeta> replace) => ReplaceBlobs(replace, 0);

    public override string ToString() => $"{TypeName} {Id} ({NBytes} bytes)";

    private ObjectMeta ReplaceBlobs(Func<ObjectMeta, ObjectMeta> replace, int depth)
    {
        if (IsBlob)
        {
            return replace(this);
        }

        if (depth > MaxDepth)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument, $"Object metadata nests deeper than {MaxDepth} levels.");
        }

        var members = new OrderedDictionary<string, ObjectMeta>(Members.Count, StringComparer.Ordinal);
        foreach (var (name, member) in Members)
        {
            members.Add(name, member.ReplaceBlobs(replace, depth + 1));
        }

        return new ObjectMeta
        {
            Id = Id,
            TypeName = TypeName,
            NBytes = NBytes,
            Instance = Instance,
            IsPersisted = IsPersisted,
            Labels = Labels,
            Fields = Fields,
            Members = members,
        };
    }

    /// <summary>A few blobs are checked for repeats one by one; a set is made only once there are many.</summary>
    private static void Collect(ObjectMeta meta, List<ObjectMeta> blobs, ref HashSet<ObjectId>? seen)
    {
        if (!meta.IsBlob)
        {
            foreach (var member in meta.Members.Values)
            {
                Collect(member, blobs, ref seen);
            }

            return;
        }

        if (seen is null && blobs.Count >= LinearSearchLimit)
        {
            seen = [.. blobs.Select(b => b.Id)];
        }

        if (seen?.Add(meta.Id) ?? !Contains(blobs, meta.Id))
        {
            blobs.Add(meta);
        }
    }

    private static bool Contains(List<ObjectMeta> blobs, ObjectId id)
    {
        foreach (var blob in blobs)
        {
            if (blob.Id == id)
            {
                return true;
            }
        }

        return false;
    }
}
