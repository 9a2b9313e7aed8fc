using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Schema;

/// <summary>
/// Every validation rule of the model (each attribute use, each <c>[OneOf]</c>, each code rule) with where a cluster
/// checks it, found by generating the schema of every kind, this project's and the Kubernetes kinds held to rules
/// here: the table in docs/resources.md.
/// </summary>
internal static class RuleCatalog
{
    /// <summary>The rules, in the order their kinds and fields come; each with the first field it is met on.</summary>
    public static IReadOnlyList<RuleUse> All { get; } = Build();

    private static List<RuleUse> Build()
    {
        var rules = new List<RuleUse>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kinds = ResourceKinds.All.Select(kind => new CataloguedKind(kind.Kind, kind.Type, IsCustom: true))
            .Concat(KubernetesModelRules.Kinds.Select(type => new CataloguedKind(KubernetesModelRules.RuleName(type), type, IsCustom: false)));
        foreach (var kind in kinds)
        {
            var ofKind = new List<RuleUse>();
            var generator = new SchemaGenerator(XmlDocumentation.None, describeMetadata: true, onRule: use =>
            {
                if (seen.Add(use.Name))
                {
                    ofKind.Add(use with { Form = OnCluster(kind, use) });
                }
            });
            generator.Generate(kind.Type);

            // The generator meets rules inside out; by field reads better, with the object's own rules first.
            rules.AddRange(ofKind
                .OrderBy(use => use.Path, StringComparer.Ordinal)
                .Select(use => use with { Path = $"{kind.Kind} {use.Path}".TrimEnd() }));
        }

        return rules;
    }

    /// <summary>Metadata is Kubernetes' to validate, and a Kubernetes kind has no CRD to carry a rule.</summary>
    private static SchemaForm OnCluster(CataloguedKind kind, RuleUse use) =>
        use.Path == "metadata" || use.Path.StartsWith("metadata.", StringComparison.Ordinal)
            ? new SchemaForm(Enforcement.Kubernetes, "Kubernetes validates metadata itself")
            : kind.IsCustom ? use.Form
            : SchemaForm.LocalOnly($"{kind.Kind} is a Kubernetes core kind: no CRD carries the rule");

    /// <summary>A kind whose rules the table lists: a custom kind's have a CRD to carry them, a Kubernetes kind's none.</summary>
    private sealed record CataloguedKind(string Kind, Type Type, bool IsCustom);
}
