using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fluid.Aspire.Contracts.Serialization;

/// <summary>
/// Reads and writes a value declared as the abstract <see cref="Resource"/> as its concrete kind, chosen by the
/// <c>apiVersion</c> and <c>kind</c> fields. System.Text.Json's own polymorphism cannot do this: it wants a
/// discriminator of its own and refuses one that is also a property, which <c>kind</c> must be.
/// </summary>
internal sealed class ResourceConverter : JsonConverter<Resource>
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert == typeof(Resource);

    public override Resource? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"A resource is a JSON object with apiVersion, kind and metadata, not a JSON {reader.TokenType}.");
        }

        // The serializer hands a custom converter the whole object buffered, so a copy of the reader can look ahead.
        var (apiVersion, kind) = PeekIdentity(reader);
        if (string.IsNullOrEmpty(kind))
        {
            throw new JsonException($"The resource has no 'kind'; set it to one of {KnownKinds()}.");
        }

        var registered = ResourceKinds.FindByKind(kind)
            ?? throw new JsonException($"The kind '{kind}' is not known; use one of {KnownKinds()}.");
        if (apiVersion is not null && apiVersion != registered.ApiVersion)
        {
            throw new JsonException(
                $"The kind '{kind}' is served as apiVersion '{registered.ApiVersion}', not '{apiVersion}'; change apiVersion to {registered.ApiVersion}.");
        }

        return (Resource?)JsonSerializer.Deserialize(ref reader, registered.Type, options);
    }

    public override void Write(Utf8JsonWriter writer, Resource value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, value.GetType(), options);

    private static (string? ApiVersion, string? Kind) PeekIdentity(Utf8JsonReader reader)
    {
        string? apiVersion = null, kind = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            if (reader.TokenType == JsonTokenType.String && name is "apiVersion" or "kind")
            {
                if (name == "kind")
                {
                    kind = reader.GetString();
                }
                else
                {
                    apiVersion = reader.GetString();
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return (apiVersion, kind);
    }

    private static string KnownKinds() => string.Join(", ", ResourceKinds.All.Select(k => k.Kind));
}
