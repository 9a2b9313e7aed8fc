using System.Globalization;
using System.Text.Json.Nodes;
using Fluid.Aspire.Contracts.Serialization;
using Fluid.Aspire.ApiServer.Kinds;

namespace Fluid.Aspire.ApiServer.Http;

/// <summary>
/// Kubernetes' Table responses (<c>meta.k8s.io</c>), which <c>kubectl get</c> asks for: NAME, then the kind's
/// columns, a row per object with the object's metadata (or the whole object, with <c>includeObject=Object</c>).
/// </summary>
internal static class Tables
{
    /// <summary>True when the Accept header asks for a Table; <paramref name="apiVersion"/> is the version it asks for.</summary>
    public static bool IsRequested(string? accept, out string apiVersion)
    {
        apiVersion = "meta.k8s.io/v1";
        if (accept is null)
        {
            return false;
        }

        foreach (var mediaType in accept.Split(','))
        {
            var parameters = mediaType.Split(';', StringSplitOptions.TrimEntries);
            if (parameters.Contains("as=Table") && parameters[0] is "application/json" or "*/*")
            {
                apiVersion = parameters.Contains("v=v1beta1") ? "meta.k8s.io/v1beta1" : "meta.k8s.io/v1";
                return true;
            }
        }

        return false;
    }

    /// <summary>A Table of <paramref name="items"/>; without column definitions when <paramref name="withColumns"/> is false (later events of a watch).</summary>
    /// <remarks>Date cells become ages relative to <paramref name="now"/> (<c>5m</c>), as Kubernetes renders them on the server.</remarks>
    public static JsonObject Create(
        ServedKind kind, IEnumerable<JsonObject> items, DateTimeOffset now, string apiVersion, string includeObject, bool withColumns, JsonObject? listMetadata = null)
    {
        var columns = new JsonArray();
        if (withColumns)
        {
            columns.Add(new JsonObject
            {
                ["name"] = "Name",
                ["type"] = "string",
                ["format"] = "name",
                ["description"] = "Name must be unique within a namespace.",
                ["priority"] = 0,
            });
            foreach (var column in kind.Columns)
            {
                var definition = column.Definition;
                columns.Add(new JsonObject
                {
                    ["name"] = definition.Name,
                    ["type"] = definition.Type,
                    ["format"] = definition.Format ?? "",
                    ["description"] = definition.Description ?? "",
                    ["priority"] = definition.Priority ?? 0,
                });
            }
        }

        var rows = new JsonArray();
        foreach (var item in items)
        {
            var cells = new JsonArray(item["metadata"]?["name"]?.DeepClone());
            foreach (var column in kind.Columns)
            {
                var cell = column.Cell(item);
                cells.Add(column.Definition.Type == "date" && cell is JsonValue value && value.TryGetValue<string>(out var text) &&
                    DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time)
                        ? HumanDuration.Format(now - time)
                        : cell);
            }

            var row = new JsonObject { ["cells"] = cells };
            if (includeObject != "None")
            {
                row["object"] = includeObject == "Object"
                    ? item.DeepClone()
                    : new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = item["metadata"]?.DeepClone(),
                    };
            }

            rows.Add(row);
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = apiVersion,
            ["metadata"] = listMetadata ?? [],
            ["columnDefinitions"] = columns,
            ["rows"] = rows,
        };
    }
}
