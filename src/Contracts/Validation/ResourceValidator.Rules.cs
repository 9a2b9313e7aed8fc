using System.Globalization;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Contracts.Validation;

/// <summary>The rules that relate several fields, which attributes cannot say; each runs on every object of its type.</summary>
public static partial class ResourceValidator
{
    private static readonly IReadOnlyList<(Type Type, Action<object, string, Context> Check)> CodeRules =
    [
        Rule<Resource>(CheckIdentity),
        Rule<DatasetSpec>(CheckMountPaths),
        Rule<Mount>(CheckMountPoint),
        Rule<Mount>(CheckEncryptOptions),
        Rule<NodeSelectorRequirement>(CheckRequirementValues),
        Rule<TieredStoreLevel>(CheckTieredStoreLevel),
        Rule<OperationSpec>(CheckPolicy),
        Rule<OperationSpec>(CheckRunAfter),
        Rule<DataProcess>(CheckDatasetNamespace),
        Rule<CommandProcessor>(CheckEnvironment),
    ];

    private static (Type, Action<object, string, Context>) Rule<T>(Action<T, string, Context> check) =>
        (typeof(T), (target, path, context) => check((T)target, path, context));

    /// <summary>apiVersion and kind match the class, and the name follows the kind's format.</summary>
    private static void CheckIdentity(Resource resource, string path, Context context)
    {
        var kind = ResourceKinds.Of(resource.GetType());
        if (resource.ApiVersion != kind.ApiVersion)
        {
            context.Add(FieldPath.Child(path, "apiVersion"), $"is '{resource.ApiVersion}', but a {kind.Kind} is served as '{kind.ApiVersion}'; set apiVersion: {kind.ApiVersion}.");
        }

        if (resource.Kind != kind.Kind)
        {
            context.Add(FieldPath.Child(path, "kind"), $"is '{resource.Kind}', but this object is a {kind.Kind}; set kind: {kind.Kind}.");
        }

        var name = resource.Metadata.Name;
        if (name.Length > 0 &&
            (kind.NameFormat == NameFormat.DnsLabel ? Formats.DnsLabel(name, "housing") : Formats.DnsSubdomain(name, "housing.17a2b3c4d5e6f")) is { } problem)
        {
            context.Add(FieldPath.Child(path, "metadata.name"),
                $"{problem.TrimEnd('.')} ({kind.Kind} names are {(kind.NameFormat == NameFormat.DnsLabel ? "DNS-1123 labels" : "DNS-1123 subdomains")}).");
        }
    }

    /// <summary>Where a mount appears in the dataset's tree: its path, or <c>/</c> for a lone mount, or <c>/{name}</c>.</summary>
    internal static string? EffectivePath(Mount mount, int mountCount) =>
        !string.IsNullOrEmpty(mount.Path) ? mount.Path.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/"
        : mountCount == 1 ? "/"
        : string.IsNullOrEmpty(mount.Name) ? null
        : "/" + mount.Name;

    /// <summary>Several mounts must appear at distinct paths that do not nest, or one would hide another.</summary>
    private static void CheckMountPaths(DatasetSpec spec, string path, Context context)
    {
        var mounts = spec.Mounts;
        var placed = new List<(string Path, int Index)>();
        for (var i = 0; i < mounts.Count; i++)
        {
            var mountPath = FieldPath.Index(FieldPath.Child(path, "mounts"), i);
            var effective = EffectivePath(mounts[i], mounts.Count);
            if (effective is null)
            {
                context.Add(mountPath, "needs a name or a path when the dataset has more than one mount, so that each appears at its own path; e.g. name: sales.");
                continue;
            }

            var clash = placed.FirstOrDefault(p => Nests(p.Path, effective) || Nests(effective, p.Path));
            if (clash.Path is not null && !SameDefaultPath(mounts[clash.Index], mounts[i]))
            {
                var field = string.IsNullOrEmpty(mounts[i].Path) ? "name" : "path";
                context.Add(FieldPath.Child(mountPath, field),
                    $"puts the mount at '{effective}', which {(clash.Path == effective ? "is also" : "overlaps")} '{clash.Path}', where mount {clash.Index} appears; give each mount its own path, e.g. /sales and /stock.");
                continue;
            }

            placed.Add((effective, i));
        }

        // Two unpathed mounts of one name clash, but [Unique] on the names has said so already.
        static bool SameDefaultPath(Mount a, Mount b) => string.IsNullOrEmpty(a.Path) && string.IsNullOrEmpty(b.Path) && a.Name == b.Name;

        static bool Nests(string outer, string inner) =>
            outer == inner || outer == "/" || inner.StartsWith(outer + "/", StringComparison.Ordinal);
    }

    /// <summary>Each scheme's own shape: local paths are absolute, URLs have hosts, buckets and claims are named.</summary>
    private static void CheckMountPoint(Mount mount, string path, Context context)
    {
        var point = mount.MountPoint;
        var separator = point.IndexOf("://", StringComparison.Ordinal);
        if (separator < 0 || !Mount.Schemes.Contains(point[..separator]))
        {
            return; // [Scheme] has reported it, or it is missing and [Required] has.
        }

        var scheme = point[..separator];
        var rest = point[(separator + 3)..];
        var firstPart = rest.Split('/', 2)[0];
        string? problem = scheme switch
        {
            _ when rest.Length == 0 || rest == "/" => "names no location after the scheme",
            "local" when !rest.StartsWith('/') => "must name an absolute path after local://, so it has three slashes",
            "pvc" when Formats.DnsSubdomain(firstPart) is not null => $"names the claim '{firstPart}', which is not a DNS-1123 subdomain",
            "http" or "https" or "hdfs" when !Uri.TryCreate(point, UriKind.Absolute, out var uri) || uri.Host.Length == 0 => "is not a URL with a host",
            "s3" or "oss" when firstPart.Length == 0 => "names no bucket",
            _ when rest.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) => "contains spaces or control characters; encode them (e.g. %20)",
            _ => null,
        };
        if (problem is not null)
        {
            context.Add(FieldPath.Child(path, "mountPoint"), $"'{point}' {problem}; e.g. {SchemeExample(scheme)}.");
        }
    }

    private static string SchemeExample(string scheme) => scheme switch
    {
        "local" => "local:///mnt/data/housing",
        "pvc" => "pvc://housing-claim/raw",
        "http" or "https" => $"{scheme}://example.com/data/housing.csv",
        "hdfs" => "hdfs://namenode:8020/data/housing",
        "objectstore" => "objectstore://housing/",
        _ => $"{scheme}://bucket/housing",
    };

    /// <summary>A secret option must not also be a plain option: which value wins would be a guess.</summary>
    private static void CheckEncryptOptions(Mount mount, string path, Context context)
    {
        for (var i = 0; i < mount.EncryptOptions.Count; i++)
        {
            var name = mount.EncryptOptions[i].Name;
            if (name.Length > 0 && mount.Options.ContainsKey(name))
            {
                context.Add(FieldPath.Child(FieldPath.Index(FieldPath.Child(path, "encryptOptions"), i), "name"),
                    $"'{name}' is also set in options; set a secret option in encryptOptions only, e.g. remove options[{name}].");
            }
        }
    }

    /// <summary>How many values each operator takes (Kubernetes' rules).</summary>
    private static void CheckRequirementValues(NodeSelectorRequirement requirement, string path, Context context)
    {
        if (requirement.Operator is not { } op)
        {
            return;
        }

        var values = requirement.Values;
        var name = Serialization.EnumNames.Of(op);
        string? problem = op switch
        {
            NodeSelectorOperator.In or NodeSelectorOperator.NotIn when values.Count == 0 =>
                $"must list at least one value for operator {name}; e.g. [\"zone-a\"]",
            NodeSelectorOperator.Exists or NodeSelectorOperator.DoesNotExist when values.Count > 0 =>
                $"must be empty for operator {name}, which only looks at whether the label is there",
            NodeSelectorOperator.Gt or NodeSelectorOperator.Lt when values.Count != 1 ||
                !long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) =>
                $"must hold exactly one integer for operator {name}; e.g. [\"4\"]",
            _ => null,
        };
        if (problem is not null)
        {
            context.Add(FieldPath.Child(path, "values"), problem + ".");
        }
    }

    /// <summary>Disk tiers need a directory; watermarks must not cross.</summary>
    private static void CheckTieredStoreLevel(TieredStoreLevel level, string path, Context context)
    {
        if (level.MediumType is MediumType.Ssd or MediumType.Hdd)
        {
            var medium = Serialization.EnumNames.Of(level.MediumType.Value);
            if (string.IsNullOrWhiteSpace(level.Path))
            {
                context.Add(FieldPath.Child(path, "path"), $"is required for mediumtype {medium}; e.g. /mnt/{medium.ToLowerInvariant()}/cache.");
            }
        }

        if (!string.IsNullOrEmpty(level.Path))
        {
            foreach (var directory in level.Path.Split(','))
            {
                if (!directory.Trim().StartsWith('/'))
                {
                    context.Add(FieldPath.Child(path, "path"), $"'{directory.Trim()}' is not an absolute path; list absolute directories separated by commas, e.g. /mnt/ssd1,/mnt/ssd2.");
                }
            }
        }

        if (level.LowRatio() is { } low && level.HighRatio() is { } high && low > high)
        {
            context.Add(FieldPath.Child(path, "low"),
                string.Create(CultureInfo.InvariantCulture, $"is {low}, above high ({high}); low must not exceed high, since eviction runs from high down to low; e.g. low 0.7 with high 0.95."));
        }
    }

    /// <summary>schedule goes with Cron and onEvent with OnEvent, each required by its policy and meaningless without it.</summary>
    private static void CheckPolicy(OperationSpec spec, string path, Context context)
    {
        var policy = spec.EffectivePolicy();
        var policyName = Serialization.EnumNames.Of(policy);
        var hasSchedule = !string.IsNullOrEmpty(spec.Schedule);
        if (policy == OperationPolicy.Cron && !hasSchedule)
        {
            context.Add(FieldPath.Child(path, "schedule"), "is required when policy is Cron; e.g. */10 * * * * (every ten minutes) or @hourly.");
        }
        else if (policy != OperationPolicy.Cron && hasSchedule)
        {
            context.Add(FieldPath.Child(path, "schedule"), $"is only used with policy Cron, but the policy is {policyName}; set policy: Cron, or remove schedule.");
        }

        if (policy == OperationPolicy.OnEvent && spec.OnEvent is null)
        {
            context.Add(FieldPath.Child(path, "onEvent"), "is required when policy is OnEvent; e.g. {\"objectPut\": \"x_train\"}.");
        }
        else if (policy != OperationPolicy.OnEvent && spec.OnEvent is not null)
        {
            context.Add(FieldPath.Child(path, "onEvent"), $"is only used with policy OnEvent, but the policy is {policyName}; set policy: OnEvent, or remove onEvent.");
        }
    }

    /// <summary>runAfter names a known operation kind, and not the operation itself.</summary>
    private static void CheckRunAfter(OperationSpec spec, string path, Context context)
    {
        if (spec.RunAfter is not { } after)
        {
            return;
        }

        var afterPath = FieldPath.Child(path, "runAfter");
        if (after.Kind.Length > 0 && ResourceKinds.FindByKind(after.Kind) is not { IsOperation: true })
        {
            context.Add(FieldPath.Child(afterPath, "kind"),
                $"'{after.Kind}' is not an operation kind; use one of {string.Join(", ", ResourceKinds.Operations.Select(k => k.Kind))}.");
        }

        var root = context.Root;
        if (after.Kind == root.Kind && after.Name == root.Metadata.Name && (after.Namespace ?? root.Metadata.Namespace) == root.Metadata.Namespace)
        {
            context.Add(FieldPath.Child(afterPath, "name"), $"'{after.Name}' is this operation itself, which cannot run after itself; name the step that must finish first, e.g. preprocess.");
        }
    }

    /// <summary>A step works on a dataset of its own namespace, as in Fluid (its cache and secrets live there).</summary>
    private static void CheckDatasetNamespace(DataProcess process, string path, Context context)
    {
        var ns = process.Spec.Dataset?.Namespace;
        if (!string.IsNullOrEmpty(ns) && ns != process.Metadata.Namespace)
        {
            context.Add(FieldPath.Child(path, "spec.dataset.namespace"),
                $"is '{ns}', but the DataProcess is in '{process.Metadata.Namespace}'; a step must be in its dataset's namespace: create it in '{ns}', or leave namespace unset.");
        }
    }

    private static void CheckEnvironment(CommandProcessor command, string path, Context context)
    {
        foreach (var name in command.Env.Keys)
        {
            if (Formats.EnvironmentVariableName(name) is { } problem)
            {
                context.Add(FieldPath.Key(FieldPath.Child(path, "env"), name), problem);
            }
        }
    }
}
