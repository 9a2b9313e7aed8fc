using k8s.Models;

namespace Fluid.Aspire.Contracts.Schema;

/// <summary>
/// The CustomResourceDefinitions (<c>apiextensions.k8s.io/v1</c>) of this project's kinds, for the Kubernetes
/// publisher: names, short names and categories, printer columns, the status subresource, and a structural schema
/// generated from the JSON contract, carrying the validation rules a cluster can check (see docs/resources.md).
/// </summary>
public static class CustomResourceDefinitions
{
    /// <summary>The API version of the CRDs themselves.</summary>
    public const string ApiVersion = "apiextensions.k8s.io/v1";

    /// <summary>
    /// A CRD for every kind, in <see cref="ResourceKinds.All"/> order. Each call builds new objects, so a caller may
    /// change what it gets.
    /// </summary>
    public static IReadOnlyList<V1CustomResourceDefinition> All => [.. ResourceKinds.All.Select(For)];

    /// <summary>The CRD of <paramref name="kind"/>, newly built.</summary>
    public static V1CustomResourceDefinition For(ResourceKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var schema = new SchemaGenerator(XmlDocumentation.Contracts).Generate(kind.Type);
        return new V1CustomResourceDefinition
        {
            ApiVersion = ApiVersion,
            Kind = "CustomResourceDefinition",
            Metadata = new V1ObjectMeta { Name = $"{kind.Plural}.{kind.Group}" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = kind.Group,
                Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames
                {
                    Plural = kind.Plural,
                    Singular = kind.Singular,
                    Kind = kind.Kind,
                    ShortNames = kind.ShortNames.Count == 0 ? null : [.. kind.ShortNames],
                    Categories = kind.Categories.Count == 0 ? null : [.. kind.Categories],
                },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion
                    {
                        Name = kind.ApiVersion[(kind.ApiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..],
                        Served = true,
                        Storage = true,
                        Schema = new V1CustomResourceValidation { OpenAPIV3Schema = schema },
                        // The status is written through its own endpoint, so that users' spec writes cannot overwrite it.
                        Subresources = schema.Properties.ContainsKey("status")
                            ? new V1CustomResourceSubresources { Status = new Dictionary<string, object>() }
                            : null,
                        AdditionalPrinterColumns = kind.PrinterColumns.Count == 0 ? null : [.. kind.PrinterColumns.Select(column => Described(kind, column, schema))],
                    },
                ],
            },
        };
    }

    /// <summary>A copy of <paramref name="column"/>, described by its field's description unless it has its own.</summary>
    /// <exception cref="InvalidOperationException">The column reads a field the schema does not have.</exception>
    private static V1CustomResourceColumnDefinition Described(ResourceKind kind, V1CustomResourceColumnDefinition column, V1JSONSchemaProps schema)
    {
        var field = PrinterColumnPath.Parse(column.JsonPath);
        if (field[0] == "metadata")
        {
            // The schema leaves metadata to Kubernetes, so there is nothing to look up; such columns carry their own text.
            return column with { };
        }

        var node = schema;
        foreach (var name in field)
        {
            node = node.Properties is { } properties && properties.TryGetValue(name, out var child)
                ? child
                : throw new InvalidOperationException(
                    $"The printer column '{column.Name}' of {kind.Kind} reads {column.JsonPath}, but the {kind.Kind} schema has no field '{name}' there; fix the column's jsonPath in {nameof(ResourceKinds)}.");
        }

        return column with { Description = column.Description ?? node.Description };
    }
}
