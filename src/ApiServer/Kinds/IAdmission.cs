using System.Text.Json.Nodes;

namespace Fluid.Aspire.ApiServer.Kinds;

/// <summary>What the server does with fields its schema does not know (the <c>fieldValidation</c> query parameter).</summary>
public enum FieldValidation
{
    /// <summary>Drops them silently.</summary>
    Ignore,

    /// <summary>Drops them and says so in a <c>Warning</c> header (the default, as in Kubernetes).</summary>
    Warn,

    /// <summary>Refuses the request (kubectl's default).</summary>
    Strict,
}

/// <summary>Reads another stored object while one is admitted (e.g. to follow a chain of references).</summary>
public delegate ValueTask<JsonObject?> ObjectLookup(ServedKind kind, string? namespaceName, string name, CancellationToken cancellationToken);

/// <summary>Checks an object of a kind and returns it as it will be stored: known fields only, in the kind's one JSON form.</summary>
public interface IAdmission
{
    /// <summary>The object to store and warnings for the client; <paramref name="stored"/> is the object it replaces, null for a create.</summary>
    /// <exception cref="Http.ApiException">422 Invalid with a cause per field, or 400 for JSON that does not fit the kind.</exception>
    ValueTask<Admitted> AdmitAsync(
        ServedKind kind, JsonObject candidate, JsonObject? stored, FieldValidation validation, ObjectLookup lookup, CancellationToken cancellationToken);
}

/// <summary>An admitted object and the warnings to send with the response.</summary>
public sealed record Admitted(JsonObject Value, IReadOnlyList<string> Warnings);
