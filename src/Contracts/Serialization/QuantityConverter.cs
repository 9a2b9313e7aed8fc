using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Fluid.Aspire.Contracts.Serialization;

/// <summary>
/// Kubernetes quantities as KubernetesClient models them, read from a string or a bare number (<c>cpu: 2</c>) and
/// written in Kubernetes' canonical form; text that is not a quantity is an error that names the accepted forms.
/// </summary>
internal sealed class QuantityConverter : JsonConverter<ResourceQuantity>
{
    public override ResourceQuantity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
            _ => throw new JsonException($"A quantity is a string such as \"2Gi\" or a number, not a JSON {reader.TokenType}."),
        };
        return Quantity.TryParse(text, out var quantity, out var error) ? quantity : throw new JsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, ResourceQuantity value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.CanonicalizeString());
    }
}
