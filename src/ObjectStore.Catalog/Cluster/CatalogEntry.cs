using System.Globalization;
using System.Text.Json;
using Fluid.Aspire.ObjectStore.Objects;
using Google.Protobuf;

namespace Fluid.Aspire.ObjectStore.Cluster;

/// <summary>One key of the object store's etcd layout, decoded.</summary>
public abstract record CatalogEntry
{
    /// <summary>Reads a key under <see cref="ObjectStoreKeys.Root"/>; unknown keys are a <see cref="FormatException"/>.</summary>
    public static CatalogEntry Decode(ObjectStoreKeys keys, string key, ByteString value)
    {
        if (key.StartsWith(keys.Instances, StringComparison.Ordinal))
        {
            return new InstanceEntry(Json<InstanceRecord>(value));
        }

        if (key.StartsWith(keys.Objects, StringComparison.Ordinal))
        {
            return new ObjectEntry(Json<ObjectMeta>(value));
        }

        if (key.StartsWith(keys.Names, StringComparison.Ordinal))
        {
            return new NameKey(key[keys.Names.Length..], Json<NameEntry>(value).Id);
        }

        if (key.StartsWith(keys.Replicas, StringComparison.Ordinal))
        {
            var parts = key[keys.Replicas.Length..].Split('/');
            if (parts.Length == 2 && ObjectId.TryParse(parts[0], out var id)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var instance))
            {
                return new ReplicaKey(id, instance);
            }
        }

        throw new FormatException($"'{key}' is not a key of the object store's layout.");
    }

    private static T Json<T>(ByteString value) =>
        JsonSerializer.Deserialize<T>(value.Span, ObjectStoreJson.Options) ?? throw new FormatException("the value is JSON null");
}

public sealed record InstanceEntry(InstanceRecord Record) : CatalogEntry;

public sealed record ObjectEntry(ObjectMeta Meta) : CatalogEntry;

public sealed record NameKey(string Name, ObjectId Id) : CatalogEntry;

public sealed record ReplicaKey(ObjectId Id, int Instance) : CatalogEntry;
