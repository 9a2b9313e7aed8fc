using System.Collections;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Fluid.Aspire.Contracts.Serialization;

namespace Fluid.Aspire.Contracts;

/// <summary>
/// The one JSON form of resources, everywhere (store, API, SDK, manifests): Kubernetes' shape, with camelCase names,
/// enums as their exact strings, RFC 3339 timestamps, Go-style durations, and nulls, empty strings and empty lists
/// or maps left out, as Go's <c>omitempty</c> does.
/// </summary>
public static class ResourceJson
{
    /// <summary>The options for reading and writing resources. Unknown fields are ignored, as the API server does by default.</summary>
    public static JsonSerializerOptions Options { get; } = Create(strict: false);

    /// <summary>
    /// The same, but a field the model does not know is an error: for what people write by hand, where
    /// <c>mountpoint</c> for <c>mountPoint</c> should not silently vanish.
    /// </summary>
    public static JsonSerializerOptions StrictOptions { get; } = Create(strict: true);

    /// <summary>Writes <paramref name="resource"/> as its own kind (not as the declared type), compact.</summary>
    public static string Serialize(Resource resource, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return JsonSerializer.Serialize(resource, resource.GetType(), indented ? Indented : Options);
    }

    /// <summary>Writes <paramref name="resource"/> as UTF-8 JSON.</summary>
    public static byte[] SerializeToUtf8Bytes(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return JsonSerializer.SerializeToUtf8Bytes(resource, resource.GetType(), Options);
    }

    /// <summary>Reads a resource of any registered kind, chosen by its <c>apiVersion</c> and <c>kind</c>.</summary>
    /// <exception cref="JsonException">Not JSON, not an object, or of a kind <see cref="ResourceKinds"/> does not know.</exception>
    public static Resource Deserialize(string json, bool strict = false) =>
        JsonSerializer.Deserialize<Resource>(json, strict ? StrictOptions : Options)
        ?? throw new JsonException("The JSON is 'null'; write a resource object with apiVersion, kind and metadata.");

    /// <summary>Reads a resource of any registered kind from UTF-8 JSON.</summary>
    /// <exception cref="JsonException">Not JSON, not an object, or of a kind <see cref="ResourceKinds"/> does not know.</exception>
    public static Resource Deserialize(ReadOnlySpan<byte> utf8Json, bool strict = false) =>
        JsonSerializer.Deserialize<Resource>(utf8Json, strict ? StrictOptions : Options)
        ?? throw new JsonException("The JSON is 'null'; write a resource object with apiVersion, kind and metadata.");

    /// <summary>Reads a resource of a known kind.</summary>
    /// <exception cref="JsonException">The JSON does not fit <typeparamref name="T"/>.</exception>
    public static T Deserialize<T>(string json, bool strict = false)
        where T : class =>
        JsonSerializer.Deserialize<T>(json, strict ? StrictOptions : Options)
        ?? throw new JsonException($"The JSON is 'null'; write a {typeof(T).Name} object.");

    /// <summary>A deep copy of any part of the model (a resource, a spec, a condition…), made through its JSON form.</summary>
    public static T Clone<T>(T value)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        var type = value.GetType();
        return (T)JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(value, type, Options), type, Options)!;
    }

    private static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    private static JsonSerializerOptions Create(bool strict)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            // The API server matches field names exactly; so do we, or 'mediumType' would pass for 'mediumtype'.
            PropertyNameCaseInsensitive = false,
            NumberHandling = JsonNumberHandling.Strict,
            // Resources are API payloads, never inlined in HTML; the default encoder's escaping of '+', '&' or 'µ'
            // as \uXXXX would only make stored objects and logs harder to read.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            UnmappedMemberHandling = strict ? JsonUnmappedMemberHandling.Disallow : JsonUnmappedMemberHandling.Skip,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { OmitEmpty, KeepDefaultForNull } },
            Converters =
            {
                new StrictEnumConverterFactory(),
                new TimestampConverter(),
                new UtcDateTimeConverter(),
                new QuantityConverter(),
                new GoDurationConverter(),
                new ResourceConverter(),
            },
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>
    /// Empty strings, lists and maps and false flags are not written: Go's <c>omitempty</c>, which every optional
    /// Kubernetes field has. Numbers are written even when zero (an exit code or a count of ready workers of 0 says
    /// something); a number that may be unset is nullable instead.
    /// </summary>
    private static void OmitEmpty(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in type.Properties)
        {
            Func<object, object?, bool>? isEmpty =
                property.PropertyType == typeof(string) ? static (_, value) => value is string { Length: > 0 }
                : typeof(IEnumerable).IsAssignableFrom(property.PropertyType) ? static (_, value) => value switch
                {
                    ICollection collection => collection.Count > 0,
                    IEnumerable items => items.GetEnumerator().MoveNext(),
                    _ => false,
                }
                : property.PropertyType == typeof(bool) ? static (_, value) => value is true
                : null;
            if (isEmpty is null)
            {
                continue;
            }

            var earlier = property.ShouldSerialize;
            property.ShouldSerialize = earlier is null ? isEmpty : (owner, value) => earlier(owner, value) && isEmpty(owner, value);
        }
    }

    /// <summary>
    /// An explicit <c>null</c> for a non-nullable property (<c>"labels": null</c>, <c>"status": null</c>) keeps the
    /// property's empty default, as Go decodes it, instead of leaving a null where the model promises none.
    /// </summary>
    private static void KeepDefaultForNull(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in type.Properties)
        {
            if (property.Set is { } set && !property.IsSetNullable && !property.PropertyType.IsValueType)
            {
                property.Set = (owner, value) =>
                {
                    if (value is not null)
                    {
                        set(owner, value);
                    }
                };
            }
        }
    }
}
