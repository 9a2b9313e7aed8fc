using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Aspire.ApiServer.Http;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.ApiServer.Kinds;

/// <summary>
/// Admission of this project's kinds through their model in <c>src/Contracts</c>: the same JSON form and the same rule
/// table the SDK checks before sending and the CRD schemas carry, plus the <c>runAfter</c> cycle check, which needs
/// the other stored steps.
/// </summary>
internal sealed class ContractAdmission(ResourceKind contract) : IAdmission
{
    public async ValueTask<Admitted> AdmitAsync(
        ServedKind kind, JsonObject candidate, JsonObject? stored, FieldValidation validation, ObjectLookup lookup, CancellationToken cancellationToken)
    {
        var name = candidate["metadata"]?["name"]?.GetValue<string>() ?? "";
        Resource resource;
        try
        {
            resource = (Resource)(candidate.Deserialize(contract.Type, ResourceJson.Options)
                ?? throw new JsonException("The object is JSON null."));
        }
        catch (JsonException ex)
        {
            throw ApiException.Invalid(kind.Kind, kind.Group, name, [(FieldOf(ex), ex.Message)]);
        }

        var errors = ResourceValidator.Validate(resource);
        if (errors.Count > 0)
        {
            throw Invalid(kind, name, errors);
        }

        // Only a new or changed spec can close a cycle: status and metadata writes (finalizers) must pass even on a
        // cyclic step, or the controller could not fail it.
        if (resource is IOperation operation && !JsonNode.DeepEquals(candidate["spec"], stored?["spec"]))
        {
            try
            {
                await RunAfterChain.EnsureNoCycleAsync(operation, async (other, ns, otherName, ct) =>
                    await lookup(ServedKinds.For(other), ns, otherName, ct) is { } stored
                        ? (IOperation?)stored.Deserialize(other.Type, ResourceJson.Options)
                        : null, cancellationToken);
            }
            catch (ResourceInvalidException ex)
            {
                throw Invalid(kind, name, ex.Errors);
            }
        }

        var kept = JsonSerializer.SerializeToNode(resource, contract.Type, ResourceJson.Options)!.AsObject();
        // The model knows a subset of Kubernetes' metadata: keep what the server maintains beyond it.
        kept["metadata"] = candidate["metadata"]?.DeepClone();
        return new Admitted(kept, UnknownFields.Enforce(kind, candidate, kept, validation));
    }

    private static ApiException Invalid(ServedKind kind, string name, IReadOnlyList<FieldError> errors) =>
        ApiException.Invalid(kind.Kind, kind.Group, name, [.. errors.Select(e => (e.Path, e.Message))]);

    private static string FieldOf(JsonException ex) =>
        ex.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "<root>";
}
