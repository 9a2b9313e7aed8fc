using System.Globalization;
using k8s.Models;
using Fluid.Aspire.Hosting.Kubernetes.Rbac;

namespace Fluid.Aspire.Hosting.Kubernetes.Mapping;

/// <summary>
/// A Fluid stack's cluster face: etcd as a StatefulSet, the controller as a Deployment with its RBAC, and the object
/// store and the cache agent as DaemonSets, so that every node runs them however many nodes run locally.
/// </summary>
internal static class FluidStackMapping
{
    /// <summary>Where the node daemons' Unix sockets are, on the node and in every pod that mounts them.</summary>
    public const string SocketDirectory = "/var/run/fluid";

    public const int RpcPort = 9600;
    public const int BulkPort = 9601;

    /// <summary>The image repositories of the stack's services; their project files set the same ContainerRepository.</summary>
    public static IReadOnlyDictionary<string, string> Repositories { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Controller"] = "fluid-aspire/controller",
        ["ObjectStore"] = "fluid-aspire/objectstore",
        ["CacheAgent"] = "fluid-aspire/cacheagent",
    };

    /// <summary>The tag of the stack's images: the version they were built as, as their project files say.</summary>
    public static string ImageTag { get; } = typeof(FluidStackMapping).Assembly.GetName().Version!.ToString(3);

    /// <summary>How the stack's own services reach etcd on a cluster.</summary>
    public static string ServiceConnectionString(FluidResource fluid) =>
        $"Endpoints={EtcdMapping.ClientUrl(fluid.Etcd)};Prefix={FluidResource.KeyPrefix}";

    /// <summary>How applications reach the stack on a cluster: etcd and the controller through their Services.</summary>
    public static string ConnectionString(FluidResource fluid) =>
        $"{ServiceConnectionString(fluid)};Controller=http://{fluid.Controller.Name}:{WorkloadBuilder.HttpPort}";

    public static IEnumerable<KubernetesWorkload> Map(FluidResource fluid, WorkloadBuilder builder)
    {
        yield return EtcdMapping.Map(fluid.Etcd, fluid.Name, builder);
        yield return MapController(fluid, builder);
        yield return MapObjectStore(fluid, builder);
        yield return MapCacheAgent(fluid, builder);
    }

    private static KubernetesWorkload MapController(FluidResource fluid, WorkloadBuilder builder)
    {
        var name = fluid.Controller.Name;
        var key = $"parameters.{WorkloadBuilder.ValuesKey(name)}";
        var container = Service(fluid, builder, name, "Controller");
        WorkloadBuilder.AddEnvironment(container, "Fluid__Executor__LogsDirectory", "/var/lib/fluid/steps");
        container.Resources = Resources("100m", "256Mi", "1Gi");

        var pod = WorkloadBuilder.Pod(container);
        WorkloadBuilder.AddScratch(pod, container, "tmp", "/tmp");
        WorkloadBuilder.AddScratch(pod, container, "steps", "/var/lib/fluid/steps");
        pod.NodeSelector = builder.Values.Map($"{key}.nodeSelector", new Dictionary<string, string>());
        pod.Tolerations = builder.Values.Tolerations($"{key}.tolerations");

        var deployment = new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = WorkloadBuilder.Metadata(name, fluid.Name),
            Spec = new V1DeploymentSpec
            {
                // Leader election keeps one replica active; the other takes over within a lease.
                Replicas = builder.Values.Int($"{key}.replicas", 2),
                Selector = WorkloadBuilder.Selector(name, fluid.Name),
                Template = WorkloadBuilder.Template(name, fluid.Name, pod),
            },
        };
        var workload = new KubernetesWorkload(name, deployment)
        {
            Service = WorkloadBuilder.Service(name, fluid.Name, WorkloadBuilder.Port("http", WorkloadBuilder.HttpPort)),
        };
        RbacObjects.Grant(workload, ComponentPermissions.Controller, fluid.Name, builder.Values);
        return workload;
    }

    private static KubernetesWorkload MapObjectStore(FluidResource fluid, WorkloadBuilder builder)
    {
        var name = $"{fluid.Name}-objectstore";
        var key = $"parameters.{WorkloadBuilder.ValuesKey(name)}";
        var values = builder.Values;
        var container = Service(fluid, builder, name, "ObjectStore");
        container.Args = ["start"];

        var memoryMiB = (int)(Fluid.Aspire.ObjectStore.Objects.ByteSize.Parse(fluid.ObjectStoreMemory) / (1024 * 1024));
        var memory = values.Declare($"{key}.memoryMiB", memoryMiB);
        var overhead = values.Declare($"{key}.overheadMiB", 512);
        WorkloadBuilder.AddEnvironment(container, "Fluid__ObjectStore__Size",
            values.Derived($"printf \"%dMi\" (int {memory})", string.Create(CultureInfo.InvariantCulture, $"{memoryMiB}Mi")));
        WorkloadBuilder.AddEnvironment(container, "Fluid__ObjectStore__ReserveMemory",
            values.Derived($"{values.Declare($"{key}.reserveMemory", fluid.ReserveObjectStoreMemory)} | toString", fluid.ReserveObjectStoreMemory ? "true" : "false"));
        WorkloadBuilder.AddEnvironment(container, "Fluid__ObjectStore__Socket", $"{SocketDirectory}/objectstore.sock");
        WorkloadBuilder.AddEnvironment(container, "Fluid__ObjectStore__BindAddress", "0.0.0.0");
        WorkloadBuilder.AddFieldEnvironment(container, "POD_IP", "status.podIP");
        WorkloadBuilder.AddEnvironment(container, "Fluid__ObjectStore__AdvertiseAddress", "$(POD_IP)");
        WorkloadBuilder.AddEnvironment(container, "Fluid__ObjectStore__RpcPort", RpcPort.ToString(CultureInfo.InvariantCulture));
        WorkloadBuilder.AddEnvironment(container, "Fluid__ObjectStore__BulkPort", BulkPort.ToString(CultureInfo.InvariantCulture));
        container.Ports =
        [
            .. container.Ports,
            new V1ContainerPort { Name = "rpc", ContainerPort = RpcPort, Protocol = "TCP" },
            new V1ContainerPort { Name = "bulk", ContainerPort = BulkPort, Protocol = "TCP" },
        ];

        // The arena is shared memory the daemon faults in: the kernel charges it to this container, so the limit
        // is the arena plus the process's own memory, and the request the same, so that the node is not overcommitted.
        var total = values.DerivedQuantity($"printf \"%dMi\" (add (int {memory}) (int {overhead}))", string.Create(CultureInfo.InvariantCulture, $"{memoryMiB + 512}Mi"));
        container.Resources = new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = total },
            Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = total },
        };

        var pod = NodeDaemonPod(builder, container, key);
        MountSockets(builder, pod, container, fluid.Name);
        return new KubernetesWorkload(name, DaemonSet(name, fluid.Name, pod));
    }

    private static KubernetesWorkload MapCacheAgent(FluidResource fluid, WorkloadBuilder builder)
    {
        var name = $"{fluid.Name}-cacheagent";
        var container = Service(fluid, builder, name, "CacheAgent");
        container.Resources = Resources("50m", "128Mi", "512Mi");
        var pod = NodeDaemonPod(builder, container, $"parameters.{WorkloadBuilder.ValuesKey(name)}");
        MountSockets(builder, pod, container, fluid.Name);
        return new KubernetesWorkload(name, DaemonSet(name, fluid.Name, pod));
    }

    /// <summary>A service of the stack: its image, its HTTP port and probes, and where etcd is.</summary>
    private static V1Container Service(FluidResource fluid, WorkloadBuilder builder, string name, string component)
    {
        var container = WorkloadBuilder.Container(component.ToLowerInvariant(), builder.Image(name, Repositories[component], ImageTag));
        WorkloadBuilder.ServeHttp(container);
        WorkloadBuilder.AddServiceProbes(container);
        WorkloadBuilder.AddEnvironment(container, "ConnectionStrings__fluid", ServiceConnectionString(fluid));
        if (component != "Controller")
        {
            WorkloadBuilder.AddFieldEnvironment(container, "Fluid__Node__Name", "spec.nodeName");
            WorkloadBuilder.AddEnvironment(container, "Fluid__Node__LeaseTtlSeconds", ((int)fluid.LeaseTtl.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        }

        return container;
    }

    private static V1PodSpec NodeDaemonPod(WorkloadBuilder builder, V1Container container, string key)
    {
        var pod = WorkloadBuilder.Pod(container);
        WorkloadBuilder.AddScratch(pod, container, "tmp", "/tmp");
        pod.NodeSelector = builder.Values.Map($"{key}.nodeSelector", new Dictionary<string, string>());
        pod.Tolerations = builder.Values.Tolerations($"{key}.tolerations");
        return pod;
    }

    /// <summary>
    /// The node's socket directory, shared with the step pods on the node. A hostPath directory is created owned by
    /// root, so an init container (root, with only CAP_CHOWN) hands it to the daemons' non-root user first.
    /// </summary>
    private static void MountSockets(WorkloadBuilder builder, V1PodSpec pod, V1Container container, string stack)
    {
        // One setting for the whole stack: the step pods (and both daemons) must agree on it.
        var hostPath = builder.Values.String($"parameters.{WorkloadBuilder.ValuesKey(stack)}.socketDirectory", SocketDirectory);
        pod.Volumes = [.. pod.Volumes ?? [], new V1Volume { Name = "sockets", HostPath = new V1HostPathVolumeSource { Path = hostPath, Type = "DirectoryOrCreate" } }];
        container.VolumeMounts = [.. container.VolumeMounts ?? [], new V1VolumeMount { Name = "sockets", MountPath = SocketDirectory }];
        var uid = WorkloadBuilder.AppUserId.ToString(CultureInfo.InvariantCulture);
        pod.InitContainers =
        [
            new V1Container
            {
                Name = "socket-directory",
                Image = container.Image,
                ImagePullPolicy = container.ImagePullPolicy,
                Command = ["chown", $"{uid}:{uid}", SocketDirectory],
                VolumeMounts = [new V1VolumeMount { Name = "sockets", MountPath = SocketDirectory }],
                SecurityContext = new V1SecurityContext
                {
                    RunAsUser = 0,
                    RunAsNonRoot = false,
                    AllowPrivilegeEscalation = false,
                    ReadOnlyRootFilesystem = true,
                    Capabilities = new V1Capabilities { Drop = ["ALL"], Add = ["CHOWN"] },
                    SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                },
            },
        ];
        // The pod as a whole is not non-root, since its init container is root; each daemon container still is.
        pod.SecurityContext.RunAsNonRoot = null;
    }

    private static V1DaemonSet DaemonSet(string name, string partOf, V1PodSpec pod) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "DaemonSet",
        Metadata = WorkloadBuilder.Metadata(name, partOf),
        Spec = new V1DaemonSetSpec
        {
            Selector = WorkloadBuilder.Selector(name, partOf),
            Template = WorkloadBuilder.Template(name, partOf, pod),
            // One node at a time, so that a rollout never takes every node's store down together.
            UpdateStrategy = new V1DaemonSetUpdateStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateDaemonSet { MaxUnavailable = 1 } },
        },
    };

    private static V1ResourceRequirements Resources(string cpu, string memoryRequest, string memoryLimit) => new()
    {
        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memoryRequest) },
        Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new(memoryLimit) },
    };
}
