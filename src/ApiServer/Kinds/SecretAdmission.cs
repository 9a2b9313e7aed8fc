using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Fluid.Aspire.ApiServer.Kinds;

/// <summary>
/// A Secret as Kubernetes admits one: <c>stringData</c> is a write-only convenience, merged into <c>data</c> (base64,
/// winning over a key given in both) and never stored; <c>type</c> is <c>Opaque</c> unless given.
/// </summary>
internal sealed class SecretAdmission : IAdmission
{
    private readonly KubernetesAdmission<V1Secret> _secret = new();

    public ValueTask<Admitted> AdmitAsync(
        ServedKind kind, JsonObject candidate, JsonObject? stored, FieldValidation validation, ObjectLookup lookup, CancellationToken cancellationToken)
    {
        if (candidate["stringData"] is JsonObject strings)
        {
            var data = candidate["data"] as JsonObject ?? [];
            foreach (var (key, value) in strings)
            {
                data[key] = value is JsonValue text && text.TryGetValue<string>(out var plain)
                    ? Convert.ToBase64String(Encoding.UTF8.GetBytes(plain))
                    : throw Http.ApiException.Invalid(kind.Kind, kind.Group, candidate["metadata"]?["name"]?.GetValue<string>() ?? "",
                        [($"stringData.{key}", "must be a string")]);
            }

            candidate["data"] = data.DeepClone();
            candidate.Remove("stringData");
        }

        candidate["type"] ??= "Opaque";
        return _secret.AdmitAsync(kind, candidate, stored, validation, lookup, cancellationToken);
    }
}
