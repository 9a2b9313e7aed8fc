using k8s;
using k8s.Models;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Tests;

public sealed class ValidationTests
{
    private sealed record Case(Func<IKubernetesObject<V1ObjectMeta>> Build, string Path, string Fragment);

    private static Case Bad<T>(Func<T> sample, Action<T> change, string path, string fragment)
        where T : IKubernetesObject<V1ObjectMeta> => new(() =>
        {
            var resource = sample();
            change(resource);
            return resource;
        }, path, fragment);

    private static Case Good<T>(Func<T> sample, Action<T> change)
        where T : IKubernetesObject<V1ObjectMeta> => Bad(sample, change, "", "");

    private static readonly Dictionary<string, Case> BadCases = new()
    {
        // Identity and metadata, common to every kind.
        ["name missing"] = Bad(Samples.Dataset, d => d.Metadata.Name = "", "metadata.name", "is required; e.g. housing"),
        ["name upper case"] = Bad(Samples.Dataset, d => d.Metadata.Name = "Housing", "metadata.name", "'Housing' is not a DNS-1123 label"),
        ["name of 64 characters"] = Bad(Samples.Runtime, r => r.Metadata.Name = new string('a', 64), "metadata.name", "a DNS-1123 label has at most 63"),
        ["name with a dot for a label kind"] = Bad(Samples.Process, p => p.Metadata.Name = "train.v2", "metadata.name", "DataProcess names are DNS-1123 labels"),
        ["namespace with underscore"] = Bad(Samples.Dataset, d => d.Metadata.NamespaceProperty = "my_ns", "metadata.namespace", "'my_ns' is not a DNS-1123 label"),
        ["namespace empty"] = Bad(Samples.Dataset, d => d.Metadata.NamespaceProperty = "", "metadata.namespace", "is required; e.g. default"),
        ["label key with a space"] = Bad(Samples.Dataset, d => d.Metadata.Labels["bad key"] = "x", "metadata.labels[bad key]", "'bad key' is not a qualified name"),
        ["label key with a bad prefix"] = Bad(Samples.Dataset, d => d.Metadata.Labels["Example.com/x"] = "x", "metadata.labels[Example.com/x]", "prefix before '/' must be a DNS-1123 subdomain"),
        ["label value starting with a dash"] = Bad(Samples.Dataset, d => d.Metadata.Labels["tier"] = "-gold", "metadata.labels[tier]", "'-gold' is not a label value"),
        ["label value of 64 characters"] = Bad(Samples.Dataset, d => d.Metadata.Labels["tier"] = new string('g', 64), "metadata.labels[tier]", "a label value has at most 63"),
        ["annotation key empty name"] = Bad(Samples.Dataset, d => d.Metadata.Annotations["example.com/"] = "x", "metadata.annotations[example.com/]", "not a qualified name"),
        ["annotations over 256 KiB"] = Bad(Samples.Dataset, d => d.Metadata.Annotations["big"] = new string('x', 300_000), "metadata.annotations", "more than the 262144 allowed"),
        ["finalizer with a space"] = Bad(Samples.Dataset, d => d.Metadata.Finalizers.Add("my finalizer"), "metadata.finalizers[1]", "'my finalizer' is not a qualified name"),
        ["owner reference without uid"] = Bad(Samples.Runtime, r => r.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = ResourceKinds.ApiVersion, Kind = "Dataset", Name = "housing" }], "metadata.ownerReferences[0].uid", "is required"),
        ["kind that is not the class"] = Bad(Samples.Dataset, d => d.Kind = "Datasets", "kind", "set kind: Dataset"),
        ["apiVersion of Fluid"] = Bad(Samples.Dataset, d => d.ApiVersion = "data.fluid.io/v1alpha1", "apiVersion", "set apiVersion: data.fluid-aspire.io/v1alpha1"),

        // Dataset.
        ["no mounts"] = Bad(Samples.Dataset, d => d.Spec.Mounts.Clear(), "spec.mounts", "is required"),
        ["mount point missing"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].MountPoint = "", "spec.mounts[0].mountPoint", "is required; e.g. s3://bucket/housing"),
        ["mount point of an unknown scheme"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].MountPoint = "ftp://host/x", "spec.mounts[0].mountPoint", "use one of local://, pvc://, http://, https://, s3://, oss://, hdfs://, objectstore://"),
        ["mount point without scheme"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].MountPoint = "/mnt/data", "spec.mounts[0].mountPoint", "does not start with a supported scheme"),
        ["local mount point that is relative"] = Bad(Samples.Dataset, d => d.Spec.Mounts[1].MountPoint = "local://mnt/data", "spec.mounts[1].mountPoint", "must name an absolute path after local://, so it has three slashes; e.g. local:///mnt/data/housing"),
        ["pvc with a bad claim name"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].MountPoint = "pvc://Claim_1/raw", "spec.mounts[0].mountPoint", "names the claim 'Claim_1'"),
        ["https without host"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].MountPoint = "https:///data.csv", "spec.mounts[0].mountPoint", "is not a URL with a host; e.g. https://example.com/data/housing.csv"),
        ["hdfs without host"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].MountPoint = "hdfs:///data", "spec.mounts[0].mountPoint", "is not a URL with a host; e.g. hdfs://namenode:8020"),
        ["s3 without bucket"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].MountPoint = "s3:///prefix", "spec.mounts[0].mountPoint", "names no bucket; e.g. s3://bucket/housing"),
        ["objectstore without prefix"] = Bad(Samples.Dataset, d => d.Spec.Mounts[2].MountPoint = "objectstore://", "spec.mounts[2].mountPoint", "names no location after the scheme; e.g. objectstore://housing/"),
        ["oss with a space"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].MountPoint = "oss://bucket/my data", "spec.mounts[0].mountPoint", "contains spaces"),
        ["two mounts of one name"] = Bad(Samples.Dataset, d => d.Spec.Mounts[1].Name = "sales", "spec.mounts[1].name", "'sales' is also the name of item 0"),
        ["mount name upper case"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].Name = "Sales", "spec.mounts[0].name", "'Sales' is not a DNS-1123 label"),
        ["mount path relative"] = Bad(Samples.Dataset, d => d.Spec.Mounts[2].Path = "objects", "spec.mounts[2].path", "'objects' is not an absolute path; start it with '/', e.g. /data"),
        ["mount paths that nest"] = Bad(Samples.Dataset, d => d.Spec.Mounts[2].Path = "/sales/objects", "spec.mounts[2].path", "overlaps '/sales', where mount 0 appears"),
        ["a mount at the root beside others"] = Bad(Samples.Dataset, d => d.Spec.Mounts[2].Path = "/", "spec.mounts[2].path", "overlaps '/sales'"),
        ["a path equal to another mount's default path"] = Bad(Samples.Dataset, d => d.Spec.Mounts[2].Path = "/stock", "spec.mounts[2].path", "is also '/stock'"),
        ["several mounts, one without name or path"] = Bad(Samples.Dataset, d => d.Spec.Mounts[1].Name = null, "spec.mounts[1]", "needs a name or a path when the dataset has more than one mount"),
        ["secret option also a plain option"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].Options["aws.secretKey"] = "plain", "spec.mounts[0].encryptOptions[0].name", "'aws.secretKey' is also set in options"),
        ["two secret options of one name"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].EncryptOptions.Add(ResourceJson.Clone(d.Spec.Mounts[0].EncryptOptions[0])), "spec.mounts[0].encryptOptions[1].name", "also the name of item 0"),
        ["secret without name"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].EncryptOptions[0].ValueFrom.SecretKeyRef.Name = "", "spec.mounts[0].encryptOptions[0].valueFrom.secretKeyRef.name", "is required; e.g. s3-credentials"),
        ["secret key with a slash"] = Bad(Samples.Dataset, d => d.Spec.Mounts[0].EncryptOptions[0].ValueFrom.SecretKeyRef.Key = "a/b", "spec.mounts[0].encryptOptions[0].valueFrom.secretKeyRef.key", "'a/b' is not a secret key"),
        ["required affinity without terms"] = Bad(Samples.Dataset, d => d.Spec.NodeAffinity!.Required!.NodeSelectorTerms.Clear(), "spec.nodeAffinity.required.nodeSelectorTerms", "is required; e.g. [{\"matchExpressions\""),
        ["a term without expressions"] = Bad(Samples.Dataset, d => Term(d).MatchExpressions.Clear(), "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions", "is required"),
        ["In without values"] = Bad(Samples.Dataset, d => Requirement(d).Values.Clear(), "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values", "at least one value for operator In"),
        ["Exists with values"] = Bad(Samples.Dataset, d => Requirement(d).OperatorProperty = NodeSelectorOperators.Exists, "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values", "must be empty for operator Exists"),
        ["Gt with a non-integer"] = Bad(Samples.Dataset, d => Requirement(d).OperatorProperty = NodeSelectorOperators.Gt, "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values", "exactly one integer for operator Gt"),
        ["requirement without operator"] = Bad(Samples.Dataset, d => Requirement(d).OperatorProperty = null, "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].operator", "is required; e.g. In"),
        ["requirement with an unknown operator"] = Bad(Samples.Dataset, d => Requirement(d).OperatorProperty = "in", "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].operator", "'in' is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt"),
        ["a term with match fields"] = Bad(Samples.Dataset, d => Term(d).MatchFields = [NodeSelectors.Requirement("metadata.name", NodeSelectorOperators.In, "node-0")], "spec.nodeAffinity.required.nodeSelectorTerms[0].matchFields", "is not supported: select nodes by their labels"),
        ["requirement with a bad key"] = Bad(Samples.Dataset, d => Requirement(d).Key = "zone!", "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].key", "'zone!' is not a qualified name"),
        ["an enum value cast from a number"] = Bad(Samples.Dataset, d => d.Spec.Placement = (Placement)7, "spec.placement", "use one of Exclusive, Shared"),
        ["an access mode cast from a number"] = Bad(Samples.Dataset, d => d.Spec.AccessModes.Add((AccessMode)9), "spec.accessModes[1]", "9 is not a defined value of AccessMode; use one of ReadWriteOnce"),
        ["two conditions of one type"] = Bad(Samples.Dataset, d => d.Status.Conditions.Add(new Condition { Type = "Ready" }), "status.conditions[1].type", "'Ready' is also the type of item 0"),
        ["a condition reason with spaces"] = Bad(Samples.Dataset, d => d.Status.Conditions[0].Reason = "runtime bound", "status.conditions[0].reason", "is not a CamelCase word; e.g. MountFailed"),

        // ObjectStoreRuntime.
        ["no replicas"] = Bad(Samples.Runtime, r => r.Spec.Replicas = 0, "spec.replicas", "must be at least 1 (got 0); e.g. 2"),
        ["tiered store without levels"] = Bad(Samples.Runtime, r => r.Spec.TieredStore!.Levels.Clear(), "spec.tieredstore.levels", "is required; e.g. [{\"mediumtype\": \"MEM\""),
        ["level without medium"] = Bad(Samples.Runtime, r => r.Spec.TieredStore!.Levels[0].MediumType = null, "spec.tieredstore.levels[0].mediumtype", "is required; use one of MEM, SSD, HDD"),
        ["level without quota"] = Bad(Samples.Runtime, r => r.Spec.TieredStore!.Levels[0].Quota = null, "spec.tieredstore.levels[0].quota", "is required; e.g. 2Gi"),
        ["quota of zero"] = Bad(Samples.Runtime, r => r.Spec.TieredStore!.Levels[0].Quota = "0Gi", "spec.tieredstore.levels[0].quota", "must be greater than zero"),
        ["high watermark above one"] = Bad(Samples.Runtime, r => r.Spec.TieredStore!.Levels[0].High = "1.5", "spec.tieredstore.levels[0].high", "must be between 0 and 1 (got 1.5); e.g. 0.95"),
        ["low watermark negative"] = Bad(Samples.Runtime, r => r.Spec.TieredStore!.Levels[0].Low = "-0.1", "spec.tieredstore.levels[0].low", "must be between 0 and 1 (got -0.1); e.g. 0.7"),
        ["watermark that is no number"] = Bad(Samples.Runtime, r => r.Spec.TieredStore!.Levels[0].High = "high", "spec.tieredstore.levels[0].high", "'high' is not a number"),
        ["low above high"] = Bad(Samples.Runtime, r => r.Spec.TieredStore!.Levels[0].Low = "0.96", "spec.tieredstore.levels[0].low", "is 0.96, above high (0.95); low must not exceed high"),
        ["SSD without path"] = Bad(Samples.Runtime, r => r.Spec.TieredStore!.Levels[1].Path = null, "spec.tieredstore.levels[1].path", "is required for mediumtype SSD; e.g. /mnt/ssd/cache"),
        ["a relative directory in a level path"] = Bad(Samples.Runtime, r => r.Spec.TieredStore!.Levels[1].Path = "/mnt/ssd1, ssd2", "spec.tieredstore.levels[1].path", "'ssd2' is not an absolute path"),
        ["two levels of one medium"] = Bad(Samples.Runtime, r => r.Spec.TieredStore!.Levels[1].MediumType = MediumType.Memory, "spec.tieredstore.levels[1].mediumtype", "'MEM' is also the mediumtype of item 0"),
        ["worker node selector with a bad key"] = Bad(Samples.Runtime, r => r.Spec.Worker!.NodeSelector["a b"] = "x", "spec.worker.nodeSelector[a b]", "not a qualified name"),

        // DataProcess.
        ["no dataset"] = Bad(Samples.Process, p => p.Spec.Dataset = null, "spec.dataset", "is required; e.g. {\"name\": \"housing\""),
        ["dataset without name"] = Bad(Samples.Process, p => p.Spec.Dataset!.Name = "", "spec.dataset.name", "is required; e.g. housing"),
        ["dataset in another namespace"] = Bad(Samples.Process, p => p.Spec.Dataset!.Namespace = "other", "spec.dataset.namespace", "a step must be in its dataset's namespace"),
        ["relative mount path"] = Bad(Samples.Process, p => p.Spec.Dataset!.MountPath = "data", "spec.dataset.mountPath", "is not an absolute path"),
        ["sub path leaving the dataset"] = Bad(Samples.Process, p => p.Spec.Dataset!.SubPath = "raw/../../etc", "spec.dataset.subPath", "(no leading '/', no '..'); e.g. raw/2025"),
        ["no processor"] = Bad(Samples.Process, p => p.Spec.Processor = null, "spec.processor", "is required; e.g. {\"command\""),
        ["an empty processor"] = Bad(Samples.Process, p => p.Spec.Processor = new ProcessorSpec(), "spec.processor", "set exactly one of command, method (none is set)"),
        ["a processor with both kinds"] = Bad(Samples.Process, p => p.Spec.Processor!.Method = new MethodProcessor { Assembly = "/a.dll", Type = "T", Method = "M" }, "spec.processor", "set exactly one of command, method (command and method are set)"),
        ["a command without executable"] = Bad(Samples.Process, p => p.Spec.Processor!.Command!.Command = "", "spec.processor.command.command", "is required; e.g. python3"),
        ["a method without type"] = Bad(Samples.Process, p => p.Spec.Processor = new ProcessorSpec { Method = new MethodProcessor { Assembly = "/a.dll", Method = "M" } }, "spec.processor.method.type", "is required; e.g. Housing.Steps"),
        ["an environment variable starting with a digit"] = Bad(Samples.Process, p => p.Spec.Processor!.Command!.Env["1X"] = "v", "spec.processor.command.env[1X]", "'1X' is not an environment variable name"),
        ["a relative working directory"] = Bad(Samples.Process, p => p.Spec.Processor!.Command!.WorkingDir = "work", "spec.processor.command.workingDir", "is not an absolute path"),
        ["negative memory"] = Bad(Samples.Process, p => p.Spec.Resources!.Requests["memory"] = new ResourceQuantity("-1Gi"), "spec.resources.requests[memory]", "must be greater than zero; e.g. 4Gi"),
        ["a request above its limit"] = Bad(Samples.Process, p => p.Spec.Resources!.Requests["memory"] = new ResourceQuantity("16Gi"), "spec.resources.requests[memory]", "is 16Gi, more than its limit of 8Gi"),
        ["a resource name with a space"] = Bad(Samples.Process, p => p.Spec.Resources!.Limits["my gpu"] = new ResourceQuantity("1"), "spec.resources.limits[my gpu]", "'my gpu' is not a qualified name"),
        ["a resource claim"] = Bad(Samples.Process, p => p.Spec.Resources!.Claims = [new Corev1ResourceClaim { Name = "gpu" }], "spec.resources.claims", "is not supported"),
        ["an input with a space"] = Bad(Samples.Process, p => p.Spec.Inputs[1] = "y train", "spec.inputs[1]", "must not contain spaces"),
        ["an input shaped like an object id"] = Bad(Samples.Process, p => p.Spec.Inputs[0] = "o0001f3a2c4000001", "spec.inputs[0]", "looks like an object id"),
        ["a timeout of zero"] = Bad(Samples.Process, p => p.Spec.TimeoutSeconds = 0, "spec.timeoutSeconds", "must be at least 1 (got 0); e.g. 3600"),
        ["a negative ttl"] = Bad(Samples.Process, p => p.Spec.TtlSecondsAfterFinished = -1, "spec.ttlSecondsAfterFinished", "must be at least 0 (got -1)"),
        ["Cron without schedule"] = Bad(Samples.Process, p => p.Spec.Policy = OperationPolicy.Cron, "spec.schedule", "is required when policy is Cron; e.g. */10 * * * *"),
        ["a schedule that is not cron"] = Bad(Samples.Process, p => (p.Spec.Policy, p.Spec.Schedule) = (OperationPolicy.Cron, "every minute"), "spec.schedule", "'every minute' is not a cron schedule (Minutes: Value must be a number between 0 and 59"),
        ["a cron schedule with a bad minute"] = Bad(Samples.Process, p => (p.Spec.Policy, p.Spec.Schedule) = (OperationPolicy.Cron, "61 * * * *"), "spec.schedule", "write five fields, minute hour day-of-month month day-of-week"),
        ["a schedule without Cron"] = Bad(Samples.Process, p => p.Spec.Schedule = "@hourly", "spec.schedule", "is only used with policy Cron, but the policy is Once"),
        ["OnEvent without onEvent"] = Bad(Samples.Process, p => p.Spec.Policy = OperationPolicy.OnEvent, "spec.onEvent", "is required when policy is OnEvent"),
        ["onEvent without OnEvent"] = Bad(Samples.Process, p => p.Spec.OnEvent = new OnEventTrigger { ObjectPut = "x_train" }, "spec.onEvent", "is only used with policy OnEvent"),
        ["onEvent with two triggers"] = Bad(Samples.Process, p => (p.Spec.Policy, p.Spec.OnEvent) = (OperationPolicy.OnEvent, new OnEventTrigger { ObjectPut = "x", DatasetPhase = new DatasetPhaseTrigger { Name = "housing", Phase = DatasetPhase.Bound } }), "spec.onEvent", "set exactly one of objectPut, datasetPhase"),
        ["onEvent with an empty trigger"] = Bad(Samples.Process, p => (p.Spec.Policy, p.Spec.OnEvent) = (OperationPolicy.OnEvent, new OnEventTrigger()), "spec.onEvent", "(none is set); e.g. {\"objectPut\": \"x_train\"}"),
        ["a dataset phase trigger without phase"] = Bad(Samples.Process, p => (p.Spec.Policy, p.Spec.OnEvent) = (OperationPolicy.OnEvent, new OnEventTrigger { DatasetPhase = new DatasetPhaseTrigger { Name = "housing" } }), "spec.onEvent.datasetPhase.phase", "is required; use one of Pending, Bound, NotBound, Failed, Updating"),
        ["runAfter a kind that does not exist yet"] = Bad(Samples.Process, p => p.Spec.RunAfter!.Kind = "DataLoad", "spec.runAfter.kind", "'DataLoad' is not an operation kind; use one of DataProcess"),
        ["runAfter a kind that is no operation"] = Bad(Samples.Process, p => p.Spec.RunAfter!.Kind = "Dataset", "spec.runAfter.kind", "'Dataset' is not an operation kind"),
        ["runAfter without name"] = Bad(Samples.Process, p => p.Spec.RunAfter!.Name = "", "spec.runAfter.name", "is required; e.g. preprocess"),
        ["runAfter itself"] = Bad(Samples.Process, p => p.Spec.RunAfter!.Name = "train", "spec.runAfter.name", "cannot run after itself"),
        ["an affinity strategy without policy"] = Bad(Samples.Process, p => p.Spec.RunAfter!.AffinityStrategy!.Policy = null, "spec.runAfter.affinityStrategy.policy", "is required; use one of Require, Prefer"),

        // Kubernetes' Event, held to the rules of KubernetesModelRules.
        ["an event with a reason of two words"] = Bad(Samples.Event, e => e.Reason = "Mount failed", "reason", "'Mount failed' is not a CamelCase word"),
        ["an event without reason"] = Bad(Samples.Event, e => e.Reason = "", "reason", "is required; e.g. Scheduled"),
        ["an event about no kind"] = Bad(Samples.Event, e => e.InvolvedObject.Kind = "", "involvedObject.kind", "is required; e.g. Dataset"),
        ["an event about nothing"] = Bad(Samples.Event, e => e.InvolvedObject = null, "involvedObject", "is required; e.g. {\"kind\": \"Dataset\", \"name\": \"housing\"}"),
        ["an event counted zero times"] = Bad(Samples.Event, e => e.Count = 0, "count", "must be at least 1"),
    };

    private static readonly Dictionary<string, Case> GoodCases = new()
    {
        ["each sample dataset"] = Good(Samples.Dataset, _ => { }),
        ["each sample runtime"] = Good(Samples.Runtime, _ => { }),
        ["each sample step"] = Good(Samples.Process, _ => { }),
        ["each sample event"] = Good(Samples.Event, _ => { }),
        ["a minimal dataset"] = Good(() => new Dataset { Metadata = { Name = "d" }, Spec = { Mounts = { new Mount { MountPoint = "https://example.com/a.csv" } } } }, _ => { }),
        ["a lone unnamed mount at the root"] = Good(Samples.Dataset, d => d.Spec.Mounts.RemoveRange(1, 2)),
        ["every scheme"] = Good(Samples.Dataset, d =>
        {
            d.Spec.Mounts.Clear();
            string[] points = ["local:///mnt/a", "pvc://claim-1/raw", "http://h/a", "https://h:8443/a", "s3://b/p", "oss://b", "hdfs://nn:8020/d", "objectstore://housing/"];
            d.Spec.Mounts.AddRange(points.Select((point, i) => new Mount { MountPoint = point, Name = $"m{i}" }));
        }),
        ["Gt with an integer and DoesNotExist without values"] = Good(Samples.Dataset, d =>
        {
            Term(d).MatchExpressions.Add(NodeSelectors.Requirement("cpus", NodeSelectorOperators.Gt, "4"));
            Term(d).MatchExpressions.Add(NodeSelectors.Requirement("fluid.io/draining", NodeSelectorOperators.DoesNotExist));
        }),
        ["a minimal runtime"] = Good(() => new ObjectStoreRuntime { Metadata = { Name = "housing" } }, _ => { }),
        ["watermarks equal"] = Good(Samples.Runtime, r => r.Spec.TieredStore!.Levels[0].Low = "0.95"),
        ["a quota in decimal units"] = Good(Samples.Runtime, r => r.Spec.TieredStore!.Levels[0].Quota = "1.5G"),
        ["a cron step"] = Good(Samples.Process, p => (p.Spec.Policy, p.Spec.Schedule) = (OperationPolicy.Cron, "*/10 * * * *")),
        ["a cron macro"] = Good(Samples.Process, p => (p.Spec.Policy, p.Spec.Schedule) = (OperationPolicy.Cron, "@hourly")),
        ["a step run when an object is put"] = Good(Samples.Process, p => (p.Spec.Policy, p.Spec.OnEvent) = (OperationPolicy.OnEvent, new OnEventTrigger { ObjectPut = "run-42/x_train" })),
        ["a step run when a dataset is bound"] = Good(Samples.Process, p => (p.Spec.Policy, p.Spec.OnEvent) = (OperationPolicy.OnEvent, new OnEventTrigger { DatasetPhase = new DatasetPhaseTrigger { Name = "housing", Phase = DatasetPhase.Bound } })),
        ["a method step"] = Good(Samples.Process, p => p.Spec.Processor = new ProcessorSpec { Method = new MethodProcessor { Assembly = "/app/Steps.dll", Type = "Housing.Steps", Method = "Train" } }),
        ["a step without policy, runAfter or resources"] = Good(Samples.Process, p => (p.Spec.Policy, p.Spec.RunAfter, p.Spec.Resources) = (null, null, null)),
        ["runAfter the same name in another namespace"] = Good(Samples.Process, p => (p.Spec.RunAfter!.Name, p.Spec.RunAfter.Namespace) = ("train", "other")),
        ["an event name longer than a label"] = Good(Samples.Event, e => e.Metadata.Name = new string('a', 63) + ".17a2b3c4d5e6f"),
    };

    public static TheoryData<string> BadCaseNames => [.. BadCases.Keys];

    public static TheoryData<string> GoodCaseNames => [.. GoodCases.Keys];

    private static V1NodeSelectorTerm Term(Dataset dataset) => dataset.Spec.NodeAffinity!.Required!.NodeSelectorTerms[0];

    private static V1NodeSelectorRequirement Requirement(Dataset dataset) => Term(dataset).MatchExpressions[0];

    [Theory]
    [MemberData(nameof(BadCaseNames))]
    public void A_bad_resource_is_reported_once_at_its_field_with_the_rule_broken(string name)
    {
        var (build, path, fragment) = BadCases[name];

        var errors = ResourceValidator.Validate(build());

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GoodCaseNames))]
    public void A_good_resource_has_no_errors(string name)
    {
        var errors = ResourceValidator.Validate(GoodCases[name].Build());

        Assert.Empty(errors);
    }

    [Fact]
    public void Every_message_ends_with_a_full_stop_and_most_show_an_example()
    {
        var messages = BadCases.Values.SelectMany(c => ResourceValidator.Validate(c.Build())).Select(e => e.Message).ToList();

        Assert.All(messages, m => Assert.EndsWith(".", m, StringComparison.Ordinal));
        Assert.True(messages.Count(m => m.Contains("e.g.", StringComparison.Ordinal) || m.Contains("use one of", StringComparison.Ordinal)) >= messages.Count * 0.8,
            string.Join(Environment.NewLine, messages.Where(m => !m.Contains("e.g.", StringComparison.Ordinal) && !m.Contains("use one of", StringComparison.Ordinal))));
    }

    [Fact]
    public void Every_error_is_found_in_one_pass_fields_first_then_the_rules_across_them()
    {
        var process = Samples.Process();
        process.Metadata.Name = "Train";
        process.Spec.Processor = new ProcessorSpec();
        process.Spec.TimeoutSeconds = 0;
        process.Spec.RunAfter!.Kind = "DataLoad";

        var paths = ResourceValidator.Validate(process).Select(e => e.Path);

        Assert.Equal(["spec.processor", "spec.timeoutSeconds", "spec.runAfter.kind", "metadata.name"], paths);
    }

    [Fact]
    public void EnsureValid_throws_with_every_error_on_its_own_line()
    {
        var dataset = Samples.Dataset();
        dataset.Spec.Mounts[0].MountPoint = "ftp://x";
        dataset.Metadata.Labels["bad key"] = "v";

        var error = Assert.Throws<ResourceInvalidException>(() => ResourceValidator.EnsureValid(dataset));

        var lines = error.Message.Split(Environment.NewLine);
        Assert.Equal("Dataset ml/housing is invalid (2 errors):", lines[0]);
        Assert.StartsWith("  metadata.labels[bad key]: 'bad key' is not a qualified name", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("  spec.mounts[0].mountPoint: 'ftp://x' does not start with a supported scheme", lines[2], StringComparison.Ordinal);
        Assert.Equal(2, error.Errors.Count);
    }

    [Fact]
    public void EnsureValid_accepts_a_valid_resource()
    {
        foreach (var resource in Samples.All())
        {
            ResourceValidator.EnsureValid(resource);
        }
    }

    [Fact]
    public void A_resource_read_from_JSON_with_missing_fields_is_reported_not_thrown()
    {
        var resource = ResourceJson.Deserialize("""{"apiVersion":"data.fluid-aspire.io/v1alpha1","kind":"DataProcess","metadata":{"name":"p"},"spec":{}}""");

        var paths = ResourceValidator.Validate(resource).Select(e => e.Path);

        Assert.Equal(["spec.dataset", "spec.processor"], paths);
    }
}
