using k8s.Models;

namespace Fluid.Aspire.Contracts.Validation;

/// <summary>Where a validation rule is checked once the kinds are CRDs on a cluster, besides <see cref="ResourceValidator"/>.</summary>
public enum Enforcement
{
    /// <summary>OpenAPI keywords of the CRD schema (pattern, maxLength, minimum, enum, required…), which any JSON Schema validator checks too.</summary>
    Schema,

    /// <summary>Kubernetes' own schema extensions (<c>x-kubernetes-list-type: map</c>), which only the API server checks.</summary>
    SchemaExtension,

    /// <summary>A CEL rule of the CRD (<c>x-kubernetes-validations</c>), which the API server evaluates.</summary>
    Cel,

    /// <summary>Kubernetes itself, whatever the CRD says: metadata, apiVersion and kind.</summary>
    Kubernetes,

    /// <summary>Only <see cref="ResourceValidator"/>: no schema keyword says it, and CEL cannot or would exceed its cost budget.</summary>
    LocalOnly,
}

/// <summary>How a rule appears in a CRD: where it is checked there, and with what (e.g. <c>maxLength 63, pattern</c>).</summary>
/// <param name="Enforcement">Where the rule is checked on a cluster.</param>
/// <param name="How">The keywords or CEL rule that say it, or why nothing on the cluster can.</param>
public sealed record SchemaForm(Enforcement Enforcement, string How)
{
    /// <summary>A rule said by OpenAPI keywords.</summary>
    public static SchemaForm Keywords(string how) => new(Enforcement.Schema, how);

    /// <summary>A rule only <see cref="ResourceValidator"/> checks, and why.</summary>
    public static SchemaForm LocalOnly(string why) => new(Enforcement.LocalOnly, why);

    /// <summary>Adds the CEL rule <paramref name="rule"/> to <paramref name="node"/>, reported with <paramref name="message"/>.</summary>
    /// <param name="node">The schema node the rule's <c>self</c> is.</param>
    /// <param name="rule">The CEL expression, true when the value is valid.</param>
    /// <param name="message">What is wrong and how to fix it, as the API server reports it.</param>
    /// <param name="fieldPath">The field the error is reported on, relative to the node (e.g. <c>.schedule</c>); the node itself when null.</param>
    public static SchemaForm Cel(V1JSONSchemaProps node, string rule, string message, string? fieldPath = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.XKubernetesValidations ??= [];
        node.XKubernetesValidations.Add(new V1ValidationRule { Rule = rule, Message = message, FieldPath = fieldPath });
        return new(Enforcement.Cel, $"CEL: {rule}");
    }
}

/// <summary>Adds OpenAPI keywords to a schema node without undoing what other rules put there.</summary>
public static class SchemaKeywords
{
    /// <summary>
    /// Adds <paramref name="pattern"/> to <paramref name="node"/>: as its <c>pattern</c>, or, when it has one already,
    /// in an <c>allOf</c> so that both hold (a structural schema allows value checks there).
    /// </summary>
    public static void AddPattern(V1JSONSchemaProps node, string pattern)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Pattern is null)
        {
            node.Pattern = pattern;
            return;
        }

        node.AllOf ??= [];
        node.AllOf.Add(new V1JSONSchemaProps { Pattern = pattern });
    }

    /// <summary>Lowers <paramref name="node"/>'s maxLength to <paramref name="maxLength"/> unless it is lower already.</summary>
    public static void LimitLength(V1JSONSchemaProps node, long maxLength)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.MaxLength = Math.Min(node.MaxLength ?? long.MaxValue, maxLength);
    }
}
