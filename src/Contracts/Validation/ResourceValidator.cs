using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Fluid.Aspire.Contracts.Serialization;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Contracts.Validation;

/// <summary>
/// The one place where resources are validated, by the controller on every write and by the SDK before sending.
/// It walks the object along its JSON shape (so paths use JSON names), checks the declarative rules on each
/// property (<see cref="RequiredAttribute"/>, <see cref="FieldRuleAttribute"/>s, <see cref="OneOfAttribute"/>),
/// then the cross-field rules written as code in this class.
/// </summary>
public static partial class ResourceValidator
{
    private static readonly ConcurrentDictionary<Type, Shape> Shapes = new();

    /// <summary>
    /// Every error in <paramref name="resource"/>, in field order; empty when it is valid. It is an object of this
    /// project's kinds or of a Kubernetes kind with rules here (<see cref="HasRules"/>).
    /// </summary>
    public static IReadOnlyList<FieldError> Validate(IKubernetesObject<V1ObjectMeta> resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var context = new Context();
        Walk(resource, "", context);
        return context.Errors;
    }

    /// <summary>
    /// Whether objects of the Kubernetes kind <paramref name="type"/> (KubernetesClient's model, e.g. Corev1Event)
    /// are held to rules here, which the local API server then checks when it admits them.
    /// </summary>
    public static bool HasRules(Type type) => KubernetesModelRules.Kinds.Contains(type);

    /// <summary>Throws unless <paramref name="resource"/> is valid.</summary>
    /// <exception cref="ResourceInvalidException">The resource is invalid; the message lists every error, one per line.</exception>
    public static void EnsureValid(Resource resource)
    {
        var errors = Validate(resource);
        if (errors.Count > 0)
        {
            throw new ResourceInvalidException(resource, errors);
        }
    }

    /// <summary>The JSON name of <paramref name="type"/>'s property called <paramref name="clrName"/> in .NET.</summary>
    internal static string JsonNameOf(Type type, string clrName) => Shape.Of(type).ByClrName[clrName].JsonName;

    /// <summary>The JSON name and value of the property called <paramref name="clrName"/> in .NET.</summary>
    internal static (string JsonName, object? Value) ReadProperty(object target, string clrName)
    {
        var property = Shape.Of(target.GetType()).ByClrName[clrName];
        return (property.JsonName, property.Get(target));
    }

    private static void Walk(object target, string path, Context context)
    {
        var shape = Shape.Of(target.GetType());
        foreach (var property in shape.Properties)
        {
            var value = property.Get(target);
            var valuePath = FieldPath.Child(path, property.JsonName);
            if (RequiredAttribute.IsMissing(value))
            {
                if (property.Required is { } required)
                {
                    context.Add(valuePath, required.Message(property.Type));
                }

                continue;
            }

            foreach (var rule in property.Rules)
            {
                rule.Apply(value!, valuePath, context.Errors);
            }

            Descend(value!, valuePath, context);
        }

        foreach (var oneOf in shape.OneOf)
        {
            CheckOneOf(target, shape, oneOf, path, context);
        }

        foreach (var rule in CodeRules)
        {
            if (rule.Type.IsInstanceOfType(target))
            {
                rule.Check(target, path, context);
            }
        }
    }

    private static void Descend(object value, string path, Context context)
    {
        switch (value)
        {
            case string:
                return;
            case Enum member:
                CheckDefined(member, path, context);
                return;
            case IDictionary map:
                foreach (DictionaryEntry entry in map)
                {
                    if (entry.Value is { } item && (item is Enum || Shape.Of(item.GetType()).IsObject))
                    {
                        Descend(item, FieldPath.Key(path, Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture)!), context);
                    }
                }

                return;
            case IList list:
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is { } item && (item is Enum || Shape.Of(item.GetType()).IsObject))
                    {
                        Descend(item, FieldPath.Index(path, i), context);
                    }
                }

                return;
            default:
                if (Shape.Of(value.GetType()).IsObject)
                {
                    Walk(value, path, context);
                }

                return;
        }
    }

    /// <summary>JSON refuses undefined enum values, but code can still cast any number to an enum.</summary>
    private static void CheckDefined(Enum member, string path, Context context)
    {
        if (!Enum.IsDefined(member.GetType(), member))
        {
            context.Add(path, $"{member} is not a defined value of {member.GetType().Name}; use one of {string.Join(", ", EnumNames.All(member.GetType()))}.");
        }
    }

    private static void CheckOneOf(object target, Shape shape, OneOfAttribute oneOf, string path, Context context)
    {
        var alternatives = oneOf.Properties.Select(name => shape.ByClrName[name]).ToList();
        var set = alternatives.Where(p => !RequiredAttribute.IsMissing(p.Get(target))).Select(p => p.JsonName).ToList();
        if (set.Count == 1)
        {
            return;
        }

        var names = string.Join(", ", alternatives.Select(p => p.JsonName));
        var found = set.Count == 0 ? "none is set" : $"{string.Join(" and ", set)} are set";
        var example = oneOf.Example is null ? "" : $"; e.g. {oneOf.Example}";
        context.Add(path, $"set exactly one of {names} ({found}){example}.");
    }

    /// <summary>The errors found so far.</summary>
    internal sealed class Context
    {
        public List<FieldError> Errors { get; } = [];

        public void Add(string path, string message) => Errors.Add(new FieldError(path, message));
    }

    /// <summary>A type's serialized properties with their rules, read once from the JSON contract and the attributes.</summary>
    private sealed class Shape
    {
        private Shape(Type type)
        {
            var info = ResourceJson.Options.GetTypeInfo(type);
            IsObject = info.Kind == JsonTypeInfoKind.Object;
            Properties = IsObject ? [.. info.Properties.Where(p => p.Get is not null).Select(p => new Property(p))] : [];
            ByClrName = Properties.ToDictionary(p => p.ClrName, StringComparer.Ordinal);
            OneOf = [.. type.GetCustomAttributes<OneOfAttribute>(inherit: true)];
        }

        public bool IsObject { get; }

        public IReadOnlyList<Property> Properties { get; }

        public Dictionary<string, Property> ByClrName { get; }

        public IReadOnlyList<OneOfAttribute> OneOf { get; }

        public static Shape Of(Type type) => Shapes.GetOrAdd(type, static t => new Shape(t));
    }

    private sealed class Property
    {
        private readonly Func<object, object?> _get;

        public Property(JsonPropertyInfo info)
        {
            JsonName = info.Name;
            Type = info.PropertyType;
            _get = info.Get!;
            var member = info.AttributeProvider as MemberInfo;
            ClrName = member?.Name ?? info.Name;
            Required = member is null ? null : KubernetesModelRules.Of<RequiredAttribute>(member).FirstOrDefault();
            Rules = member is null ? [] : [.. KubernetesModelRules.Of<FieldRuleAttribute>(member)];
        }

        public string JsonName { get; }

        public string ClrName { get; }

        public Type Type { get; }

        public RequiredAttribute? Required { get; }

        public IReadOnlyList<FieldRuleAttribute> Rules { get; }

        public object? Get(object target) => _get(target);
    }
}
