using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Schema;

/// <summary>
/// Every validation rule of the model (each attribute use, each <c>[OneOf]</c>, each code rule) with where a cluster
/// checks it, found by generating every kind's schema: the table in docs/resources.md.
/// </summary>
internal static class RuleCatalog
{
    /// <summary>The rules, in the order their kinds and fields come; each with the first field it is met on.</summary>
    public static IReadOnlyList<RuleUse> All { get; } = Build();

    private static List<RuleUse> Build()
    {
        var rules = new List<RuleUse>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var kind in ResourceKinds.All)
        {
            var ofKind = new List<RuleUse>();
            var generator = new SchemaGenerator(XmlDocumentation.None, describeMetadata: true, onRule: use =>
            {
                if (seen.Add(use.Name))
                {
                    ofKind.Add(use with { Form = OnCluster(kind, use) });
                }
            });
            generator.Generate(kind);

            // The generator meets rules inside out; by field reads better, with the object's own rules first.
            rules.AddRange(ofKind
                .OrderBy(use => use.Path, StringComparer.Ordinal)
                .Select(use => use with { Path = $"{kind.Kind} {use.Path}".TrimEnd() }));
        }

        return rules;
    }

    /// <summary>Metadata is Kubernetes' to validate, and a core kind has no CRD to carry a rule.</summary>
    private static SchemaForm OnCluster(ResourceKind kind, RuleUse use) =>
        use.Path == "metadata" || use.Path.StartsWith("metadata.", StringComparison.Ordinal)
            ? new SchemaForm(Enforcement.Kubernetes, "Kubernetes validates metadata itself")
            : kind.IsCustom ? use.Form
            : SchemaForm.LocalOnly($"{kind.Kind} is a Kubernetes core kind: no CRD carries the rule");
}
