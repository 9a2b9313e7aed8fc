using System.Text.Json.Nodes;
using Fluid.Aspire.ApiServer.Kinds;
using Google.Protobuf;

namespace Fluid.Aspire.ApiServer.Http;

/// <summary>
/// The one protobuf request body kubectl sends to the kinds served here: <c>kubectl create namespace</c>'s Namespace,
/// in Kubernetes' envelope (<c>k8s\0</c>, then a <c>runtime.Unknown</c> whose <c>raw</c> is the <c>v1.Namespace</c>).
/// Only the metadata a create can carry is read (name, generateName, labels, annotations); the spec of a Namespace
/// holds nothing a client sets.
/// </summary>
internal static class ProtobufBody
{
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    /// <summary>The Namespace as JSON.</summary>
    /// <exception cref="ApiException">400 when the body is not a Namespace in Kubernetes' protobuf envelope.</exception>
    public static JsonObject ReadNamespace(ReadOnlySpan<byte> body)
    {
        if (!body.StartsWith(Magic))
        {
            throw ApiException.BadRequest("the protobuf body does not start with Kubernetes' 'k8s\\0' envelope");
        }

        try
        {
            var raw = Field(ByteString.CopyFrom(body[Magic.Length..]), 2)
                ?? throw ApiException.BadRequest("the protobuf envelope holds no object (runtime.Unknown.raw is empty)");
            var metadata = Field(raw, 1) is { } meta ? ObjectMeta(meta) : [];
            return new JsonObject { ["apiVersion"] = "v1", ["kind"] = ServedKinds.Namespace.Kind, ["metadata"] = metadata };
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw ApiException.BadRequest($"the protobuf body is not a Namespace: {ex.Message}; send JSON instead (kubectl apply -f namespace.yaml)");
        }
    }

    private static JsonObject ObjectMeta(ByteString message)
    {
        var metadata = new JsonObject();
        var input = message.CreateCodedInput();
        while (input.ReadTag() is var tag and not 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    metadata["name"] = input.ReadString();
                    break;
                case 2:
                    metadata["generateName"] = input.ReadString();
                    break;
                case 11:
                    AddEntry(metadata, "labels", input.ReadBytes());
                    break;
                case 12:
                    AddEntry(metadata, "annotations", input.ReadBytes());
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return metadata;
    }

    /// <summary>A map entry (<c>key = 1</c>, <c>value = 2</c>) into the object of that name.</summary>
    private static void AddEntry(JsonObject metadata, string map, ByteString entry)
    {
        if (metadata[map] is not JsonObject values)
        {
            values = [];
            metadata[map] = values;
        }

        values[Field(entry, 1)?.ToStringUtf8() ?? ""] = Field(entry, 2)?.ToStringUtf8() ?? "";
    }

    /// <summary>The bytes of the first length-delimited field <paramref name="number"/> of a message, or null.</summary>
    private static ByteString? Field(ByteString message, int number)
    {
        var input = message.CreateCodedInput();
        while (input.ReadTag() is var tag and not 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                return input.ReadBytes();
            }

            input.SkipLastField();
        }

        return null;
    }
}
