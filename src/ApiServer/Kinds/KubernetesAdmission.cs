using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Aspire.ApiServer.Http;
using Fluid.Aspire.Contracts.Validation;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.ApiServer.Kinds;

/// <summary>
/// Admission of a Kubernetes built-in kind through KubernetesClient's model of it: the JSON must fit the type, the
/// name must be a DNS subdomain, and what is stored is what the model writes back. A kind the contracts hold to rules
/// (Event: <see cref="ResourceValidator.HasRules"/>) must pass them too, the same rule table the SDK and the controller check.
/// </summary>
internal sealed class KubernetesAdmission<T> : IAdmission
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public ValueTask<Admitted> AdmitAsync(
        ServedKind kind, JsonObject candidate, JsonObject? stored, FieldValidation validation, ObjectLookup lookup, CancellationToken cancellationToken)
    {
        var name = candidate["metadata"]?["name"]?.GetValue<string>() ?? "";
        T model;
        try
        {
            model = KubernetesJson.Deserialize<T>(candidate.ToJsonString());
        }
        catch (JsonException ex)
        {
            throw ApiException.Invalid(kind.Kind, kind.Group, name, [(ex.Path ?? "<root>", ex.Message)]);
        }

        if (Formats.DnsSubdomain(name) is { } problem)
        {
            throw ApiException.Invalid(kind.Kind, kind.Group, name, [("metadata.name", problem)]);
        }

        if (ResourceValidator.HasRules(typeof(T)) && ResourceValidator.Validate(model) is { Count: > 0 } errors)
        {
            throw ApiException.Invalid(kind.Kind, kind.Group, name, [.. errors.Select(e => (e.Path, e.Message))]);
        }

        var kept = JsonNode.Parse(KubernetesJson.Serialize(model))!.AsObject();
        kept["metadata"] = candidate["metadata"]?.DeepClone();
        return ValueTask.FromResult(new Admitted(kept, UnknownFields.Enforce(kind, candidate, kept, validation)));
    }
}
