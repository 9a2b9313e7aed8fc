using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Schema;
using k8s.Models;

namespace Fluid.Aspire.ApiServer.Kinds;

/// <summary>The kinds the local API serves: this project's custom kinds and the built-in kinds the control plane needs.</summary>
public static class ServedKinds
{
    /// <summary>Kubernetes' default <c>terminationGracePeriodSeconds</c>.</summary>
    private const long DefaultTerminationGracePeriod = 30;

    /// <summary>Every served kind, custom kinds first.</summary>
    public static IReadOnlyList<ServedKind> All { get; } =
    [
        .. ResourceKinds.All.Select(Custom),
        new()
        {
            Group = "", Version = "v1", Kind = "Event", Plural = "events", Namespaced = true, ShortNames = ["ev"], Expires = true,
            Admission = new KubernetesAdmission<Corev1Event>(),
            Columns =
            [
                Column.Date("Last Seen", "When it last happened.", o => o["lastTimestamp"] ?? o["eventTime"] ?? o["metadata"]?["creationTimestamp"]),
                Column.Text("Type", "Normal or Warning.", o => o["type"]),
                Column.Text("Reason", "Why it happened, as one word.", o => o["reason"]),
                Column.Text("Object", "The object it is about.", o => $"{o["involvedObject"]?["kind"]?.GetValue<string>().ToLowerInvariant()}/{o["involvedObject"]?["name"]}"),
                Column.Text("Source", "Who reported it.", o => o["source"]?["component"] ?? o["reportingComponent"], priority: 1),
                Column.Date("First Seen", "When it first happened.", o => o["firstTimestamp"] ?? o["eventTime"], priority: 1),
                Column.Integer("Count", "How many times it happened.", o => o["count"], priority: 1),
                Column.Text("Message", "What happened.", o => o["message"]),
            ],
            SelectableFields = new HashSet<string>(StringComparer.Ordinal)
            {
                "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                "reason", "reportingComponent", "source", "type",
            },
        },
        new()
        {
            Group = "", Version = "v1", Kind = "Namespace", Plural = "namespaces", Namespaced = false, ShortNames = ["ns"], HasStatus = true,
            Admission = new KubernetesAdmission<V1Namespace>(),
            Columns = [Column.Text("Status", "Active or Terminating.", o => o["status"]?["phase"] ?? "Active"), Column.Age],
            SelectableFields = new HashSet<string>(StringComparer.Ordinal) { "status.phase" },
        },
        new()
        {
            Group = "", Version = "v1", Kind = "Node", Plural = "nodes", Namespaced = false, ShortNames = ["no"], HasStatus = true,
            Admission = new KubernetesAdmission<V1Node>(),
            Columns =
            [
                Column.Text("Status", "Ready when the node's Ready condition is True.", NodeStatus),
                Column.Text("Roles", "The node's node-role.kubernetes.io labels.", NodeRoles),
                Column.Age,
                Column.Text("Version", "What runs the node's pods.", o => o["status"]?["nodeInfo"]?["kubeletVersion"]),
                Column.Text("Zone", "The node's topology.kubernetes.io/zone label.", o => o["metadata"]?["labels"]?["topology.kubernetes.io/zone"], priority: 1),
                Column.Text("Region", "The node's topology.kubernetes.io/region label.", o => o["metadata"]?["labels"]?["topology.kubernetes.io/region"], priority: 1),
            ],
            SelectableFields = new HashSet<string>(StringComparer.Ordinal) { "spec.unschedulable" },
        },
        new()
        {
            Group = "", Version = "v1", Kind = "Pod", Plural = "pods", Namespaced = true, ShortNames = ["po"], Categories = ["all"], HasStatus = true,
            Admission = new KubernetesAdmission<V1Pod>(),
            GracePeriod = PodGracePeriod,
            Columns =
            [
                Column.Text("Ready", "Ready containers of all containers.", PodReady),
                Column.Text("Status", "What the pod does, as kubectl prints it: a container's reason, or the phase.", PodStatus),
                Column.Integer("Restarts", "How often its containers restarted.", o => o["status"]?["containerStatuses"]?.AsArray().Sum(c => c?["restartCount"]?.GetValue<int>() ?? 0) ?? 0),
                Column.Age,
                Column.Text("IP", "The pod's IP address.", o => o["status"]?["podIP"] ?? "<none>", priority: 1),
                Column.Text("Node", "The node the pod is bound to.", o => o["spec"]?["nodeName"] ?? "<none>", priority: 1),
                Column.Text("Nominated Node", "The node the scheduler preempts for it.", o => o["status"]?["nominatedNodeName"] ?? "<none>", priority: 1),
                Column.Text("Readiness Gates", "Conditions its readiness also waits for.", o => "<none>", priority: 1),
            ],
            SelectableFields = new HashSet<string>(StringComparer.Ordinal)
            {
                "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
                "status.phase", "status.podIP", "status.nominatedNodeName",
            },
        },
        new()
        {
            Group = "", Version = "v1", Kind = "Secret", Plural = "secrets", Namespaced = true,
            Admission = new SecretAdmission(),
            Columns =
            [
                Column.Text("Type", "What the secret holds.", o => o["type"]),
                Column.Integer("Data", "How many keys it has.", o => o["data"]?.AsObject().Count ?? 0),
                Column.Age,
            ],
            SelectableFields = new HashSet<string>(StringComparer.Ordinal) { "type" },
        },
        new()
        {
            Group = "coordination.k8s.io", Version = "v1", Kind = "Lease", Plural = "leases", Namespaced = true,
            Admission = new KubernetesAdmission<V1Lease>(),
            Columns = [Column.Text("Holder", "Who holds the lease.", o => o["spec"]?["holderIdentity"]), Column.Age],
        },
    ];

    private static readonly FrozenDictionary<(string Group, string Version, string Plural), ServedKind> ByResource =
        All.ToFrozenDictionary(k => (k.Group, k.Version, k.Plural));

    private static readonly FrozenDictionary<(string Group, string Kind), ServedKind> ByKind =
        All.ToFrozenDictionary(k => (k.Group, k.Kind));

    /// <summary>The kind served at <c>group/version/plural</c>, or null.</summary>
    public static ServedKind? Find(string group, string version, string plural) => ByResource.GetValueOrDefault((group, version, plural));

    /// <summary>The served kind of a kind of the model.</summary>
    public static ServedKind For(ResourceKind kind) => ByKind[(kind.Group, kind.Kind)];

    /// <summary>Kubernetes' Namespace, in which every namespaced object lives.</summary>
    public static ServedKind Namespace => ByResource[("", "v1", "namespaces")];

    /// <summary>Kubernetes' Pod, whose log the API server fetches from the pod's kubelet.</summary>
    public static ServedKind Pod => ByResource[("", "v1", "pods")];

    /// <summary>Kubernetes' Node, whose status says where its kubelet serves.</summary>
    public static ServedKind Node => ByResource[("", "v1", "nodes")];

    /// <summary>The served kind called <paramref name="kind"/> in <paramref name="group"/>, or null.</summary>
    public static ServedKind? FindByKind(string group, string kind) => ByKind.GetValueOrDefault((group, kind));

    /// <summary>The served kind of the group of an <c>apiVersion</c> (an owner reference's) and a <c>kind</c>, or null.</summary>
    public static ServedKind? FindByApiVersion(string? apiVersion, string? kind)
    {
        var slash = (apiVersion ?? "").IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? "" : apiVersion![..slash];
        return FindByKind(group, kind ?? "");
    }

    /// <summary>The groups and their versions, core first.</summary>
    public static IEnumerable<(string Group, string Version)> GroupVersions =>
        All.Select(k => (k.Group, k.Version)).Distinct().OrderBy(g => g.Group.Length == 0 ? 0 : 1);

    private static ServedKind Custom(ResourceKind kind)
    {
        var crd = CustomResourceDefinitions.For(kind).Spec;
        var version = crd.Versions[0];
        return new ServedKind
        {
            Group = kind.Group,
            Version = version.Name,
            Kind = kind.Kind,
            Plural = kind.Plural,
            Namespaced = true,
            ShortNames = kind.ShortNames,
            Categories = kind.Categories,
            HasStatus = version.Subresources?.Status is not null,
            Admission = new ContractAdmission(kind),
            Schema = version.Schema.OpenAPIV3Schema,
            Columns = [.. (version.AdditionalPrinterColumns ?? []).Select(c => new TableColumn(c, o => PrinterColumnPath.Read(o, c.JsonPath)?.DeepClone()))],
        };
    }

    private static JsonNode? NodeStatus(JsonObject node)
    {
        var ready = node["status"]?["conditions"]?.AsArray().FirstOrDefault(c => c?["type"]?.GetValue<string>() == "Ready");
        var status = ready?["status"]?.GetValue<string>() == "True" ? "Ready" : "NotReady";
        return node["spec"]?["unschedulable"]?.GetValue<bool>() == true ? status + ",SchedulingDisabled" : status;
    }

    /// <summary>
    /// A bound pod that has not finished is deleted gracefully, as Kubernetes does: it is marked, and goes when its node
    /// has stopped it and deletes it with a grace period of 0. Any other pod goes at once.
    /// </summary>
    private static long? PodGracePeriod(JsonObject pod, V1DeleteOptions? options)
    {
        var phase = pod["status"]?["phase"]?.GetValue<string>();
        if (pod["spec"]?["nodeName"] is null || phase is "Succeeded" or "Failed")
        {
            return null;
        }

        var seconds = options?.GracePeriodSeconds ?? pod["spec"]?["terminationGracePeriodSeconds"]?.GetValue<long>() ?? DefaultTerminationGracePeriod;
        return seconds > 0 ? seconds : null;
    }

    private static JsonNode PodReady(JsonObject pod)
    {
        var statuses = pod["status"]?["containerStatuses"]?.AsArray() ?? [];
        var total = pod["spec"]?["containers"]?.AsArray().Count ?? 0;
        return $"{statuses.Count(s => s?["ready"]?.GetValue<bool>() == true)}/{total}";
    }

    /// <summary>kubectl's STATUS of a pod: Terminating while it is deleted, else the first container's waiting or terminated reason, else the phase.</summary>
    private static JsonNode PodStatus(JsonObject pod)
    {
        if (pod["metadata"]?["deletionTimestamp"] is not null)
        {
            return "Terminating";
        }

        foreach (var container in pod["status"]?["containerStatuses"]?.AsArray() ?? [])
        {
            var state = container?["state"];
            if (state?["waiting"]?["reason"]?.GetValue<string>() is { Length: > 0 } waiting)
            {
                return waiting;
            }

            if (state?["terminated"] is { } terminated)
            {
                return terminated["reason"]?.GetValue<string>() is { Length: > 0 } reason ? reason
                    : terminated["signal"]?.GetValue<int>() is { } signal and not 0 ? $"Signal:{signal}"
                    : $"ExitCode:{terminated["exitCode"]?.GetValue<int>() ?? 0}";
            }
        }

        return pod["status"]?["reason"] ?? pod["status"]?["phase"] ?? "Pending";
    }

    private static JsonNode NodeRoles(JsonObject node)
    {
        const string prefix = "node-role.kubernetes.io/";
        var roles = (node["metadata"]?["labels"]?.AsObject() ?? new JsonObject())
            .Where(l => l.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => l.Key[prefix.Length..]).Order(StringComparer.Ordinal).ToList();
        return roles.Count == 0 ? "<none>" : string.Join(',', roles);
    }

    /// <summary>Column definitions of the built-in kinds, as Kubernetes' own table printers declare them.</summary>
    private static class Column
    {
        public static TableColumn Age { get; } = Date("Age", "How long ago the object was created.", o => o["metadata"]?["creationTimestamp"]);

        public static TableColumn Text(string name, string description, Func<JsonObject, JsonNode?> cell, int priority = 0) =>
            Of(name, "string", description, cell, priority);

        public static TableColumn Integer(string name, string description, Func<JsonObject, JsonNode?> cell, int priority = 0) =>
            Of(name, "integer", description, cell, priority);

        public static TableColumn Date(string name, string description, Func<JsonObject, JsonNode?> cell, int priority = 0) =>
            Of(name, "date", description, cell, priority);

        private static TableColumn Of(string name, string type, string description, Func<JsonObject, JsonNode?> cell, int priority) =>
            new(new V1CustomResourceColumnDefinition { Name = name, Type = type, Description = description, JsonPath = "", Priority = priority == 0 ? null : priority },
                o => cell(o)?.DeepClone());
    }
}
