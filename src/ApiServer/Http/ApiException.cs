using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.ApiServer.Http;

/// <summary>
/// A refused request, carried to the response as Kubernetes' <c>Status</c> body so that kubectl and KubernetesClient
/// report it as they report a real API server's (<c>Error from server (NotFound): …</c>).
/// </summary>
public sealed class ApiException : Exception
{
    private ApiException(int code, string reason, string message, V1StatusDetails? details = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    /// <summary>The HTTP status.</summary>
    public int Code { get; }

    /// <summary>Kubernetes' machine-readable reason, e.g. <c>NotFound</c>.</summary>
    public string Reason { get; }

    /// <summary>The object the error is about and, for invalid objects, each field's problem.</summary>
    public V1StatusDetails? Details { get; }

    /// <summary>The Status body.</summary>
    public JsonObject ToStatus() => Status(Code, Reason, Message, Details);

    /// <summary>
    /// A Status body. Written by hand: KubernetesClient's V1Status converter reads Status bodies but cannot write them.
    /// </summary>
    public static JsonObject Status(int code, string reason, string message, V1StatusDetails? details = null) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = code < 400 ? "Success" : "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["details"] = details is null ? null : JsonNode.Parse(KubernetesJson.Serialize(details)),
        ["code"] = code,
    };

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException Unauthorized(string message) => new(401, "Unauthorized", message);

    public static ApiException NotFound(string message) => new(404, "NotFound", message);

    public static ApiException NotFound(string resource, string group, string name) =>
        new(404, "NotFound", $"{Qualified(resource, group)} \"{name}\" not found", new V1StatusDetails { Name = name, Group = group, Kind = resource });

    public static ApiException AlreadyExists(string resource, string group, string name) =>
        new(409, "AlreadyExists", $"{Qualified(resource, group)} \"{name}\" already exists",
            new V1StatusDetails { Name = name, Group = group, Kind = resource });

    public static ApiException Conflict(string resource, string group, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(resource, group)} \"{name}\": {why}",
            new V1StatusDetails { Name = name, Group = group, Kind = resource });

    public static ApiException Gone(string message) => new(410, "Expired", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiException NotAcceptable(string message) => new(406, "NotAcceptable", message);

    public static ApiException UnsupportedMediaType(string message) => new(415, "UnsupportedMediaType", message);

    public static ApiException ServiceUnavailable(string message) => new(503, "ServiceUnavailable", message);

    /// <summary>
    /// 422 with one cause per field: kubectl prints <c>The Dataset "x" is invalid:</c> and a line per field.
    /// </summary>
    public static ApiException Invalid(string kind, string group, string name, IReadOnlyList<(string Field, string Message)> errors) =>
        new(422, "Invalid",
            $"{(group.Length == 0 ? kind : $"{kind}.{group}")} \"{name}\" is invalid: [{string.Join(", ", errors.Select(e => $"{e.Field}: {e.Message}"))}]",
            new V1StatusDetails
            {
                Name = name,
                Group = group,
                Kind = kind,
                Causes = [.. errors.Select(e => new V1StatusCause { Field = e.Field, Message = e.Message, Reason = "FieldValueInvalid" })],
            });

    private static string Qualified(string resource, string group) => group.Length == 0 ? resource : $"{resource}.{group}";
}
