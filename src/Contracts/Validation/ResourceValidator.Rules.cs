using System.Globalization;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using k8s.Models;

namespace Fluid.Aspire.Contracts.Validation;

/// <summary>
/// The rules that relate several fields, which attributes cannot say; each runs on every object of its type, and
/// says next to its check how a CRD says it (a CEL rule or schema keywords on its type's node), or why none can.
/// </summary>
public static partial class ResourceValidator
{
    private const string PairsCost = "it compares items of unbounded lists or maps pairwise, beyond CEL's cost budget";

    /// <summary>Every code rule, in the order they run.</summary>
    internal static IReadOnlyList<CodeRule> CodeRules { get; } =
    [
        Rule<Resource>("ApiVersionAndKind", CheckApiVersionAndKind,
            (_, _) => new SchemaForm(Enforcement.Kubernetes, "the API server serves a custom kind only as its own group, version and kind")),
        Rule<Resource>("NameFormat", CheckNameFormat, (root, _) => SchemaForm.Cel(root,
            $"self.metadata.name.size() <= {Formats.DnsLabelMaxLength} && self.metadata.name.matches('{Formats.DnsLabelPattern}')",
            // No fieldPath: it must name a field of the schema, and the schema leaves metadata's fields to Kubernetes.
            $"metadata.name must be a DNS-1123 label: at most {Formats.DnsLabelMaxLength} characters of lower-case letters, digits and '-', starting and ending with a letter or digit; e.g. housing")),
        Rule<DatasetSpec>("MountPaths", CheckMountPaths, (_, _) => SchemaForm.LocalOnly(PairsCost)),
        Rule<Mount>("MountPointShape", CheckMountPoint, (node, _) =>
        {
            SchemaKeywords.AddPattern(node.Properties[JsonNameOf(typeof(Mount), nameof(Mount.MountPoint))], MountPointPattern);
            return SchemaForm.Keywords("pattern on mountPoint (a URL's host is approximated; the exact check is local-only)");
        }),
        Rule<Mount>("SecretNotOption", CheckEncryptOptions, (_, _) => SchemaForm.LocalOnly(PairsCost)),
        Rule<V1NodeSelectorRequirement>("ValuesForOperator", CheckRequirementValues,
            (_, _) => SchemaForm.LocalOnly("requirements sit in two unbounded lists, whose CEL cost estimate exceeds the budget")),
        Rule<V1ResourceRequirements>("ResourceAmounts", CheckResourceAmounts,
            (_, _) => SchemaForm.LocalOnly("the amounts are values of maps whose keys are free, and comparing a request with its limit needs CEL's quantity library, which not every cluster has")),
        Rule<V1ResourceRequirements>("NoClaims", CheckNoClaims, (node, _) =>
        {
            node.Properties[JsonNameOf(typeof(V1ResourceRequirements), nameof(V1ResourceRequirements.Claims))].MaxItems = 0;
            return SchemaForm.Keywords("maxItems 0 on claims");
        }),
        Rule<V1NodeSelectorTerm>("NoMatchFields", CheckNoMatchFields, (node, _) =>
        {
            node.Properties[JsonNameOf(typeof(V1NodeSelectorTerm), nameof(V1NodeSelectorTerm.MatchFields))].MaxItems = 0;
            return SchemaForm.Keywords("maxItems 0 on matchFields");
        }),
        Rule<TieredStoreLevel>("DiskPath", CheckDiskPath, (node, _) => SchemaForm.Cel(node,
            "!(self.mediumtype in ['SSD', 'HDD']) || (has(self.path) && self.path.trim() != '')",
            "path is required for mediumtype SSD and HDD; e.g. /mnt/ssd/cache", ".path")),
        Rule<TieredStoreLevel>("AbsoluteDirectories", CheckDirectories, (node, _) =>
        {
            SchemaKeywords.AddPattern(node.Properties[JsonNameOf(typeof(TieredStoreLevel), nameof(TieredStoreLevel.Path))], @"^((\s*/[^,]*)(,\s*/[^,]*)*)?$");
            return SchemaForm.Keywords("pattern on path");
        }),
        Rule<TieredStoreLevel>("Watermarks", CheckWatermarks, (node, _) => SchemaForm.Cel(node,
            "!has(self.low) || !has(self.high) || double(self.low) <= double(self.high)",
            "low must not exceed high, since eviction runs from high down to low; e.g. low \"0.7\" with high \"0.95\"", ".low")),
        Rule<OperationSpec>("ScheduleWithCron", CheckSchedule, (node, _) => SchemaForm.Cel(node,
            "(has(self.policy) && self.policy == 'Cron') == (has(self.schedule) && self.schedule != '')",
            "schedule is required when policy is Cron and only used with it; set policy: Cron with a schedule such as */10 * * * *, or remove schedule",
            ".schedule")),
        Rule<OperationSpec>("OnEventWithPolicy", CheckOnEvent, (node, _) => SchemaForm.Cel(node,
            "(has(self.policy) && self.policy == 'OnEvent') == has(self.onEvent)",
            "onEvent is required when policy is OnEvent and only used with it; set policy: OnEvent with onEvent such as {objectPut: x_train}, or remove onEvent",
            ".onEvent")),
        Rule<OperationReference>("OperationKind", CheckOperationKind, (node, _) =>
        {
            node.Properties[JsonNameOf(typeof(OperationReference), nameof(OperationReference.Kind))].EnumProperty =
                [.. ResourceKinds.Operations.Select(kind => kind.Kind)];
            return SchemaForm.Keywords("enum on kind (the operation kinds)");
        }),
        Rule<IOperation>("NotAfterItself", CheckNotAfterItself, (node, _) => SchemaForm.Cel(node,
            "!has(self.spec.runAfter) || has(self.spec.runAfter.__namespace__) || self.spec.runAfter.kind != self.kind || self.spec.runAfter.name != self.metadata.name",
            "runAfter names this operation itself, which cannot run after itself; name the step that must finish first, e.g. preprocess",
            ".spec.runAfter.name")),
        Rule<DataProcess>("DatasetNamespace", CheckDatasetNamespace,
            (_, _) => SchemaForm.LocalOnly("CEL cannot read metadata.namespace")),
        Rule<CommandProcessor>("EnvironmentNames", CheckEnvironment,
            (_, _) => SchemaForm.LocalOnly("a structural schema cannot constrain map keys, and CEL over an unbounded map exceeds its cost budget")),
    ];

    /// <summary>
    /// What local://, pvc://, s3:// and the others must look like after their scheme (see <see cref="CheckMountPoint"/>),
    /// without spaces. It approximates a URL's host by "something before the first slash"; the check in code is exact.
    /// </summary>
    internal const string MountPointPattern =
        @"^(local:///\S+|pvc://[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(/\S*)?|(https?|hdfs|s3|oss)://[^/\s]+(/\S*)?|objectstore://([^/\s]\S*|/\S+))$";

    private static CodeRule Rule<T>(string name, Action<T, string, Context> check, Func<V1JSONSchemaProps, Type, SchemaForm> schema) =>
        new($"{(typeof(T).IsInterface ? typeof(T).Name[1..] : KubernetesModelRules.RuleName(typeof(T)))}.{name}", typeof(T), (target, path, context) => check((T)target, path, context), schema);

    /// <summary>apiVersion and kind match the class.</summary>
    private static void CheckApiVersionAndKind(Resource resource, string path, Context context)
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
    }

    /// <summary>
    /// The name is a DNS-1123 label, stricter than Kubernetes' subdomain: a dataset's or a step's name becomes host
    /// names, label values and pod names.
    /// </summary>
    private static void CheckNameFormat(Resource resource, string path, Context context)
    {
        var name = resource.Metadata.Name;
        if (name is { Length: > 0 } && Formats.DnsLabel(name, "housing") is { } problem)
        {
            context.Add(FieldPath.Child(path, "metadata.name"), $"{problem.TrimEnd('.')} ({ResourceKinds.Of(resource.GetType()).Kind} names are DNS-1123 labels).");
        }
    }

    /// <summary>Several mounts must appear at distinct paths that do not nest, or one would hide another.</summary>
    private static void CheckMountPaths(DatasetSpec spec, string path, Context context)
    {
        var mounts = spec.Mounts;
        var placed = new List<(string Path, int Index)>();
        for (var i = 0; i < mounts.Count; i++)
        {
            var mountPath = FieldPath.Index(FieldPath.Child(path, "mounts"), i);
            var effective = spec.PathOf(mounts[i]);
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
    private static void CheckRequirementValues(V1NodeSelectorRequirement requirement, string path, Context context)
    {
        if (requirement.ValuesProblem() is { } problem)
        {
            context.Add(FieldPath.Child(path, "values"), problem + ".");
        }
    }

    /// <summary>Nodes are selected by their labels here; a field selector would be accepted and never applied.</summary>
    private static void CheckNoMatchFields(V1NodeSelectorTerm term, string path, Context context)
    {
        if (term.MatchFields is { Count: > 0 })
        {
            context.Add(FieldPath.Child(path, "matchFields"),
                "is not supported: select nodes by their labels with matchExpressions, e.g. {key: fluid.io/node, operator: In, values: [node-0]}.");
        }
    }

    /// <summary>
    /// Requests and limits name resources as Kubernetes does (cpu, memory, ephemeral-storage, or a qualified name such
    /// as nvidia.com/gpu), ask for more than zero, and no request exceeds its limit.
    /// </summary>
    private static void CheckResourceAmounts(V1ResourceRequirements resources, string path, Context context)
    {
        foreach (var (field, amounts) in new[] { ("requests", resources.Requests), ("limits", resources.Limits) })
        {
            foreach (var (name, amount) in amounts ?? new Dictionary<string, ResourceQuantity>())
            {
                var at = FieldPath.Key(FieldPath.Child(path, field), name);
                if (Formats.QualifiedName(name, "nvidia.com/gpu") is { } problem)
                {
                    context.Add(at, problem);
                }
                else if (amount is null || amount.ToDecimal() <= 0)
                {
                    context.Add(at, $"must be greater than zero; e.g. {(name == "cpu" ? "500m" : "4Gi")}.");
                }
            }
        }

        foreach (var (name, request) in resources.Requests ?? new Dictionary<string, ResourceQuantity>())
        {
            if (resources.Limits?.TryGetValue(name, out var limit) == true && request is not null && limit is not null && request.ToDecimal() > limit.ToDecimal())
            {
                context.Add(FieldPath.Key(FieldPath.Child(path, "requests"), name),
                    $"is {request}, more than its limit of {limit}; a request must be at most the limit: raise the limit or lower the request.");
            }
        }
    }

    /// <summary>Dynamic resource claims need a cluster's resource drivers; a claim would be accepted and never met.</summary>
    private static void CheckNoClaims(V1ResourceRequirements resources, string path, Context context)
    {
        if (resources.Claims is { Count: > 0 })
        {
            context.Add(FieldPath.Child(path, "claims"), "is not supported: ask for amounts in requests and limits, e.g. {requests: {cpu: 2, memory: 4Gi}}.");
        }
    }

    /// <summary>Disk tiers need a directory.</summary>
    private static void CheckDiskPath(TieredStoreLevel level, string path, Context context)
    {
        if (level.MediumType is MediumType.Ssd or MediumType.Hdd)
        {
            var medium = Serialization.EnumNames.Of(level.MediumType.Value);
            if (string.IsNullOrWhiteSpace(level.Path))
            {
                context.Add(FieldPath.Child(path, "path"), $"is required for mediumtype {medium}; e.g. /mnt/{medium.ToLowerInvariant()}/cache.");
            }
        }
    }

    /// <summary>A tier's directories are absolute.</summary>
    private static void CheckDirectories(TieredStoreLevel level, string path, Context context)
    {
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
    }

    /// <summary>Watermarks must not cross.</summary>
    private static void CheckWatermarks(TieredStoreLevel level, string path, Context context)
    {
        if (level.LowRatio() is { } low && level.HighRatio() is { } high && low > high)
        {
            context.Add(FieldPath.Child(path, "low"),
                string.Create(CultureInfo.InvariantCulture, $"is {low}, above high ({high}); low must not exceed high, since eviction runs from high down to low; e.g. low 0.7 with high 0.95."));
        }
    }

    /// <summary>schedule goes with Cron, required by it and meaningless without it.</summary>
    private static void CheckSchedule(OperationSpec spec, string path, Context context)
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
    }

    /// <summary>onEvent goes with OnEvent, required by it and meaningless without it.</summary>
    private static void CheckOnEvent(OperationSpec spec, string path, Context context)
    {
        var policy = spec.EffectivePolicy();
        var policyName = Serialization.EnumNames.Of(policy);
        if (policy == OperationPolicy.OnEvent && spec.OnEvent is null)
        {
            context.Add(FieldPath.Child(path, "onEvent"), "is required when policy is OnEvent; e.g. {\"objectPut\": \"x_train\"}.");
        }
        else if (policy != OperationPolicy.OnEvent && spec.OnEvent is not null)
        {
            context.Add(FieldPath.Child(path, "onEvent"), $"is only used with policy OnEvent, but the policy is {policyName}; set policy: OnEvent, or remove onEvent.");
        }
    }

    /// <summary>An operation reference names a known operation kind.</summary>
    private static void CheckOperationKind(OperationReference reference, string path, Context context)
    {
        if (reference.Kind.Length > 0 && ResourceKinds.FindByKind(reference.Kind) is not { IsOperation: true })
        {
            context.Add(FieldPath.Child(path, "kind"),
                $"'{reference.Kind}' is not an operation kind; use one of {string.Join(", ", ResourceKinds.Operations.Select(k => k.Kind))}.");
        }
    }

    /// <summary>runAfter does not name the operation itself.</summary>
    private static void CheckNotAfterItself(IOperation operation, string path, Context context)
    {
        var meta = operation.Metadata;
        if (operation.Spec.RunAfter is { } after && after.Kind == operation.Kind && after.Name == meta.Name && (after.Namespace ?? meta.NamespaceProperty) == meta.NamespaceProperty)
        {
            context.Add(FieldPath.Child(path, "spec.runAfter.name"),
                $"'{after.Name}' is this operation itself, which cannot run after itself; name the step that must finish first, e.g. preprocess.");
        }
    }

    /// <summary>A step works on a dataset of its own namespace, as in Fluid (its cache and secrets live there).</summary>
    private static void CheckDatasetNamespace(DataProcess process, string path, Context context)
    {
        var ns = process.Spec.Dataset?.Namespace;
        if (!string.IsNullOrEmpty(ns) && ns != process.Metadata.NamespaceProperty)
        {
            context.Add(FieldPath.Child(path, "spec.dataset.namespace"),
                $"is '{ns}', but the DataProcess is in '{process.Metadata.NamespaceProperty}'; a step must be in its dataset's namespace: create it in '{ns}', or leave namespace unset.");
        }
    }

    /// <summary>Environment variables have names a process environment accepts.</summary>
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

/// <summary>A rule written as code: its name (<c>Type.Rule</c>), the type it runs on, its check, and its CRD form.</summary>
/// <param name="Name">E.g. <c>Mount.MountPointShape</c>.</param>
/// <param name="Type">The type of the objects it checks; the CRD form goes on this type's schema nodes.</param>
/// <param name="Check">Reports errors of an object at a path.</param>
/// <param name="Schema">Says the rule on a schema node of <paramref name="Type"/> (the node, the object's .NET type).</param>
internal sealed record CodeRule(string Name, Type Type, Action<object, string, ResourceValidator.Context> Check, Func<V1JSONSchemaProps, Type, SchemaForm> Schema);
