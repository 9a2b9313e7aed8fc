using System.Globalization;
using k8s.Models;
using Fluid.Aspire.Hosting.Etcd;
using Fluid.Aspire.Hosting.Kubernetes.Helm;

namespace Fluid.Aspire.Hosting.Kubernetes.Mapping;

/// <summary>
/// etcd's cluster face: a StatefulSet whose members find each other through a headless Service, with a volume claim
/// per member and a client Service that the stack's services connect to.
/// </summary>
internal static class EtcdMapping
{
    public const int ClientPort = 2379;
    public const int PeerPort = 2380;

    private const string DataPath = "/var/lib/etcd";

    /// <summary>The client URL the stack's services use on a cluster: the client Service's DNS name.</summary>
    public static string ClientUrl(EtcdResource etcd) => $"http://{etcd.Name}:{ClientPort}";

    public static KubernetesWorkload Map(EtcdResource etcd, string partOf, WorkloadBuilder builder)
    {
        var values = builder.Values;
        var name = etcd.Name;
        var peerService = $"{name}-peer";
        var container = WorkloadBuilder.Container("etcd", builder.Image(name, "quay.io/coreos/etcd", "v3.5.17"));
        container.Command = ["/usr/local/bin/etcd"];
        container.Ports =
        [
            new V1ContainerPort { Name = "client", ContainerPort = ClientPort, Protocol = "TCP" },
            new V1ContainerPort { Name = "peer", ContainerPort = PeerPort, Protocol = "TCP" },
        ];

        // Each member's name is its pod's; Kubernetes expands $(ETCD_NAME) in the variables after it.
        WorkloadBuilder.AddFieldEnvironment(container, "ETCD_NAME", "metadata.name");
        var environment = new (string Name, string Value)[]
        {
            ("ETCD_DATA_DIR", $"{DataPath}/data"),
            ("ETCD_LISTEN_CLIENT_URLS", $"http://0.0.0.0:{ClientPort}"),
            ("ETCD_ADVERTISE_CLIENT_URLS", $"http://$(ETCD_NAME).{peerService}:{ClientPort}"),
            ("ETCD_LISTEN_PEER_URLS", $"http://0.0.0.0:{PeerPort}"),
            ("ETCD_INITIAL_ADVERTISE_PEER_URLS", $"http://$(ETCD_NAME).{peerService}:{PeerPort}"),
            ("ETCD_INITIAL_CLUSTER_STATE", "new"),
            ("ETCD_INITIAL_CLUSTER_TOKEN", name),
            ("ETCD_LOGGER", "zap"),
        };
        foreach (var (variable, value) in environment)
        {
            WorkloadBuilder.AddEnvironment(container, variable, value);
        }

        // Computed for the replica count at install time: etcd members join a new cluster only, so the count stays.
        const int DefaultReplicas = 1;
        var replicas = WorkloadBuilder.Parameter(name, "replicas");
        WorkloadBuilder.AddEnvironment(container, "ETCD_INITIAL_CLUSTER",
            values.Derived($"include \"{InitialClusterTemplate(name)}\" .", InitialCluster(name, peerService, DefaultReplicas)));
        values.DefineTemplate(InitialClusterTemplate(name),
            $$$"""
            {{- range $i := until (int {{{ValuesTree.Reference(replicas)}}}) -}}
            {{- if $i }},{{ end }}{{{name}}}-{{ $i }}=http://{{{name}}}-{{ $i }}.{{{peerService}}}:{{{PeerPort}}}
            {{- end -}}
            """);

        // Readiness needs a leader; liveness only a serving member, so a lost quorum does not restart every member.
        container.ReadinessProbe = WorkloadBuilder.HttpProbe("/health", "client", periodSeconds: 5, failureThreshold: 3);
        container.LivenessProbe = WorkloadBuilder.HttpProbe("/health?serializable=true", "client", periodSeconds: 10, failureThreshold: 6);
        container.VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = DataPath }];
        container.Resources = builder.Resources(name, "100m", "256Mi", "1Gi");

        var pod = WorkloadBuilder.Pod(container);
        builder.Schedule(name, pod);

        var claim = new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = "data" },
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteOnce"],
                StorageClassName = values.Optional(WorkloadBuilder.Parameter(name, "storageClass"), ""),
                Resources = new V1VolumeResourceRequirements
                {
                    Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = values.Quantity(WorkloadBuilder.Parameter(name, "storageSize"), "1Gi") },
                },
            },
        };
        var statefulSet = new V1StatefulSet
        {
            ApiVersion = "apps/v1",
            Kind = "StatefulSet",
            Metadata = WorkloadBuilder.Metadata(name, partOf),
            Spec = new V1StatefulSetSpec
            {
                ServiceName = peerService,
                Replicas = values.Int(replicas, DefaultReplicas),
                // Members must start together to form a cluster; ordered start would wait for a quorum that cannot come.
                PodManagementPolicy = "Parallel",
                Selector = WorkloadBuilder.Selector(name, partOf),
                Template = WorkloadBuilder.Template(name, partOf, pod),
                VolumeClaimTemplates = [claim],
            },
        };

        var workload = new KubernetesWorkload(name, statefulSet)
        {
            Service = WorkloadBuilder.Service(name, partOf, WorkloadBuilder.Port("client", ClientPort)),
        };

        var peers = WorkloadBuilder.Service(peerService, partOf, WorkloadBuilder.Port("peer", PeerPort), WorkloadBuilder.Port("client", ClientPort));
        peers.Spec.ClusterIP = "None";
        peers.Spec.Selector = WorkloadBuilder.Labels(name, partOf);
        // Members resolve each other before any is ready, since readiness needs the quorum they are forming.
        peers.Spec.PublishNotReadyAddresses = true;
        workload.AdditionalObjects.Add(peers);
        return workload;
    }

    private static string InitialClusterTemplate(string name) => $"{name}.initialCluster";

    private static string InitialCluster(string name, string peerService, int replicas) =>
        string.Join(',', Enumerable.Range(0, replicas).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{name}-{i}=http://{name}-{i}.{peerService}:{PeerPort}")));
}
