using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Fluid.Aspire.Contracts.Serialization;
using Fluid.Aspire.Contracts.Validation;
using k8s.Models;

namespace Fluid.Aspire.Contracts.Schema;

/// <summary>One use of a validation rule, met while generating a schema: its name, the field it is on, and its CRD form.</summary>
/// <param name="Name">E.g. <c>Mount.name.DnsLabel</c> for an attribute, <c>Mount.MountPointShape</c> for a code rule.</param>
/// <param name="Path">The first field it was met on, e.g. <c>spec.mounts[].name</c>.</param>
/// <param name="Form">Where and how a cluster checks it.</param>
internal sealed record RuleUse(string Name, string Path, SchemaForm Form);

/// <summary>
/// Builds the structural OpenAPI v3 schema of a kind from its JSON contract (<see cref="ResourceJson.Options"/>: the
/// names and shapes on the wire, not the .NET properties), with each property's rules said the way the rule itself
/// says it (<see cref="FieldRuleAttribute.ApplyTo"/>, <see cref="ResourceValidator.CodeRules"/>).
/// </summary>
/// <param name="documentation">Where descriptions come from.</param>
/// <param name="describeMetadata">
/// True to walk <c>metadata</c> like any object, to list its rules; a CRD's is only <c>type: object</c>, since
/// Kubernetes validates metadata itself.
/// </param>
/// <param name="onRule">Told of every rule use, in order.</param>
internal sealed class SchemaGenerator(XmlDocumentation documentation, bool describeMetadata = false, Action<RuleUse>? onRule = null)
{
    private const string Metadata = "metadata";
    private readonly NullabilityInfoContext _nullability = new();
    private readonly HashSet<Type> _open = [];

    /// <summary>The schema of a kind's objects, by its class: the root of its CRD's <c>openAPIV3Schema</c>.</summary>
    public V1JSONSchemaProps Generate(Type kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return ObjectNode(kind, "");
    }

    private V1JSONSchemaProps ObjectNode(Type type, string path)
    {
        if (!_open.Add(type))
        {
            throw new NotSupportedException($"{type} contains itself; a CRD schema cannot recurse, so break the cycle in the model.");
        }

        var node = new V1JSONSchemaProps
        {
            Type = "object",
            Description = documentation.Summary(type) ?? KubernetesModelRules.Description(type),
            Properties = new Dictionary<string, V1JSONSchemaProps>(StringComparer.Ordinal),
        };
        var properties = ResourceJson.Options.GetTypeInfo(type).Properties.Where(p => p.Get is not null).ToList();
        foreach (var property in properties)
        {
            if (path.Length == 0 && property.Name == Metadata && !describeMetadata)
            {
                // Kubernetes validates metadata itself and allows nothing more than its type here.
                node.Properties[property.Name] = new V1JSONSchemaProps { Type = "object" };
                continue;
            }

            var child = ValueNode(property.PropertyType, property.CustomConverter, Child(path, property.Name));
            if (property.AttributeProvider is PropertyInfo member)
            {
                child.Description = documentation.Summary(member) ?? KubernetesModelRules.Description(member) ?? child.Description;
            }

            node.Properties[property.Name] = child;
        }

        foreach (var property in properties)
        {
            ApplyRules(type, node, property, Child(path, property.Name));
        }

        foreach (var oneOf in type.GetCustomAttributes<OneOfAttribute>(inherit: true))
        {
            var names = oneOf.Properties.Select(name => ResourceValidator.JsonNameOf(type, name)).ToList();
            Report($"{type.Name}.OneOf", path, oneOf.ApplyTo(node, names));
        }

        foreach (var rule in ResourceValidator.CodeRules.Where(rule => rule.Type.IsAssignableFrom(type)))
        {
            Report(rule.Name, path, rule.Schema(node, type));
        }

        _open.Remove(type);
        return node;
    }

    /// <summary>Applies a property's rules; a non-nullable object with required fields is required itself, since reading it absent leaves it empty.</summary>
    private void ApplyRules(Type owner, V1JSONSchemaProps node, JsonPropertyInfo property, string path)
    {
        var child = node.Properties[property.Name];
        if (property.AttributeProvider is not PropertyInfo member)
        {
            return;
        }

        if (KubernetesModelRules.Of<RequiredAttribute>(member).Any())
        {
            Report($"{Declaring(member, owner)}.{property.Name}.Required", path, RequiredAttribute.ApplyTo(node, property.Name));
        }
        else if (child.Type == "object" && child.Required is { Count: > 0 } && _nullability.Create(member).ReadState == NullabilityState.NotNull)
        {
            node.Required ??= [];
            node.Required.Add(property.Name);
        }

        foreach (var rule in KubernetesModelRules.Of<FieldRuleAttribute>(member))
        {
            // A rule for strings on a list of strings is a rule for its items, as in ResourceValidator.
            var (target, type) = child.Type == "array" && property.PropertyType.GetGenericArguments() is [var item] && item == typeof(string)
                ? ((V1JSONSchemaProps)child.Items, typeof(string))
                : (child, property.PropertyType);
            Report($"{Declaring(member, owner)}.{property.Name}.{rule.GetType().Name.Replace("Attribute", "", StringComparison.Ordinal)}", path, rule.ApplyTo(target, type));
        }
    }

    /// <summary>The class that declares a property (an operation's base spec for <c>schedule</c>), so a rule has one name wherever it is met.</summary>
    private static string Declaring(PropertyInfo member, Type owner) => KubernetesModelRules.RuleName(member.DeclaringType ?? owner);

    private V1JSONSchemaProps ValueNode(Type declared, System.Text.Json.Serialization.JsonConverter? converter, string path)
    {
        if (converter is NumberOrStringConverter)
        {
            // A structural schema has no number-or-string type; the string is the form written back.
            return new V1JSONSchemaProps { Type = "string" };
        }

        var type = Nullable.GetUnderlyingType(declared) ?? declared;
        if (type.IsEnum)
        {
            return new V1JSONSchemaProps { Type = "string", EnumProperty = [.. EnumNames.All(type)] };
        }

        if (Scalar(type) is { } scalar)
        {
            return scalar;
        }

        var info = ResourceJson.Options.GetTypeInfo(type);
        return info.Kind switch
        {
            JsonTypeInfoKind.Object => ObjectNode(type, path),
            JsonTypeInfoKind.Enumerable => new V1JSONSchemaProps { Type = "array", Items = ValueNode(info.ElementType!, null, path + "[]") },
            JsonTypeInfoKind.Dictionary when info.KeyType == typeof(string) =>
                new V1JSONSchemaProps { Type = "object", AdditionalProperties = ValueNode(info.ElementType!, null, path + "[*]") },
            _ => throw new NotSupportedException(
                $"{path} is a {type}, which has no CRD schema form; use a string, number, boolean, timestamp, enum, list, string-keyed map or object, or teach {nameof(SchemaGenerator)} the type."),
        };
    }

    /// <summary>The JSON scalars, as ResourceJson writes them.</summary>
    private static V1JSONSchemaProps? Scalar(Type type) =>
        type == typeof(string) ? new() { Type = "string" }
        : type == typeof(bool) ? new() { Type = "boolean" }
        : type == typeof(int) || type == typeof(short) || type == typeof(byte) ? new() { Type = "integer", Format = "int32" }
        : type == typeof(long) ? new() { Type = "integer", Format = "int64" }
        : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? new() { Type = "number", Format = "double" }
        : type == typeof(DateTimeOffset) || type == typeof(DateTime) ? new() { Type = "string", Format = "date-time" }
        : type == typeof(object) ? new() { Type = "object", XKubernetesPreserveUnknownFields = true } // e.g. managedFields' fieldsV1
        : type == typeof(TimeSpan) ? new() { Type = "string" } // A Go duration (1m30s), which no OpenAPI format names.
        : type == typeof(ResourceQuantity) ? new() { XKubernetesIntOrString = true } // As Kubernetes' own quantity fields.
        : null;

    private void Report(string name, string path, SchemaForm form) => onRule?.Invoke(new RuleUse(name, path, form));

    private static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
