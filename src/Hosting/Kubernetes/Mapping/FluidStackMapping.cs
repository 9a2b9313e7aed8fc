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

    /// <summary>The object store's socket in that directory, which its clients find through <c>FLUID_OBJECTSTORE_SOCKET</c>.</summary>
    public const string ObjectStoreSocket = SocketDirectory + "/objectstore.sock";

    /// <summary>The cache agent's socket, where the node's steps read datasets.</summary>
    public const string CacheAgentSocket = SocketDirectory + "/cacheagent.sock";

    public const int RpcPort = 9600;
    public const int BulkPort = 9601;

    /// <summary>Where the object stores' token is mounted, in the daemons' pods and the controller's.</summary>
    public const string TokenDirectory = "/etc/fluid/objectstore";

    /// <summary>What the manifests hold in place of the token: refused by the daemons until replaced.</summary>
    private const string TokenPlaceholder = "replace with the token: head -c 32 /dev/urandom | base64";

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

    /// <summary>
    /// The node's socket directory, shared with the step pods and the pipeline programs on the node; a program finds
    /// the store's socket there through <c>FLUID_OBJECTSTORE_SOCKET</c>.
    /// </summary>
    public static void MountSockets(WorkloadBuilder builder, FluidResource fluid, V1PodSpec pod, V1Container container)
    {
        var hostPath = SocketHostDirectory(builder, fluid);
        if (pod.Volumes?.Any(v => v.Name == "sockets") != true)
        {
            pod.Volumes = [.. pod.Volumes ?? [], new V1Volume { Name = "sockets", HostPath = new V1HostPathVolumeSource { Path = hostPath, Type = "DirectoryOrCreate" } }];
        }

        container.VolumeMounts = [.. container.VolumeMounts ?? [], new V1VolumeMount { Name = "sockets", MountPath = SocketDirectory }];
        WorkloadBuilder.AddEnvironment(container, "FLUID_OBJECTSTORE_SOCKET", ObjectStoreSocket);
    }

    /// <summary>One setting for the whole stack: the daemons, every pod that talks to them and the controller, which mounts it into step pods, must agree on it.</summary>
    private static string SocketHostDirectory(WorkloadBuilder builder, FluidResource fluid) =>
        builder.Values.String(WorkloadBuilder.Parameter(fluid.Name, "socketDirectory"), SocketDirectory);

    private static KubernetesWorkload MapController(FluidResource fluid, WorkloadBuilder builder)
    {
        var name = fluid.Controller.Name;
        var container = Container(fluid, builder, StackComponent.Controller);
        WorkloadBuilder.AddEnvironment(container, "Fluid__StepPods__SocketHostDirectory", SocketHostDirectory(builder, fluid));
        container.Resources = builder.Resources(name, "100m", "256Mi", "1Gi");

        var pod = WorkloadBuilder.Pod(container);
        WorkloadBuilder.AddScratch(pod, container, "tmp", "/tmp");
        MountToken(fluid, pod, container);
        builder.Schedule(name, pod);

        var deployment = new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = WorkloadBuilder.Metadata(name, fluid.Name),
            Spec = new V1DeploymentSpec
            {
                // Leader election keeps one replica active; the other takes over within a lease.
                Replicas = builder.Values.Int(WorkloadBuilder.Parameter(name, "replicas"), 2),
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
        var component = StackComponent.ObjectStore;
        var name = component.NameIn(fluid);
        var values = builder.Values;
        var container = Container(fluid, builder, component);
        container.Args = ["start"];

        var memoryMiB = (int)(Fluid.Aspire.Contracts.Quantity.ParseBytes(fluid.ObjectStoreMemory) / (1024 * 1024));
        var memory = values.Declare(WorkloadBuilder.Parameter(name, "memoryMiB"), memoryMiB);
        var overhead = values.Declare(WorkloadBuilder.Parameter(name, "overheadMiB"), 512);
        var reserve = values.Declare(WorkloadBuilder.Parameter(name, "reserveMemory"), fluid.ReserveObjectStoreMemory);
        WorkloadBuilder.AddEnvironment(container, "Fluid__ObjectStore__Size",
            values.Derived($"printf \"%dMi\" (int {memory})", Mebibytes(memoryMiB)));
        WorkloadBuilder.AddEnvironment(container, "Fluid__ObjectStore__ReserveMemory",
            values.Derived($"{reserve} | toString", fluid.ReserveObjectStoreMemory ? "true" : "false"));
        WorkloadBuilder.AddEnvironment(container, "Fluid__ObjectStore__Socket", ObjectStoreSocket);
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
        var total = values.DerivedQuantity($"printf \"%dMi\" (add (int {memory}) (int {overhead}))", Mebibytes(memoryMiB + 512));
        container.Resources = new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = total },
            Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = total },
        };

        var pod = NodeDaemonPod(fluid, builder, container, name);
        MountToken(fluid, pod, container);
        var workload = new KubernetesWorkload(name, DaemonSet(name, fluid.Name, pod));
        RbacObjects.Grant(workload, ComponentPermissions.ObjectStore, fluid.Name, builder.Values);
        workload.AdditionalObjects.Add(TokenSecret(fluid, builder));
        return workload;
    }

    private static KubernetesWorkload MapCacheAgent(FluidResource fluid, WorkloadBuilder builder)
    {
        var name = StackComponent.CacheAgent.NameIn(fluid);
        var container = Container(fluid, builder, StackComponent.CacheAgent);
        container.Resources = builder.Resources(name, "50m", "128Mi", "512Mi");
        var pod = NodeDaemonPod(fluid, builder, container, name);
        // Its cache API, which the controller calls at the pod's IP, needs the cluster's token as the object stores' does.
        WorkloadBuilder.AddFieldEnvironment(container, "POD_IP", "status.podIP");
        WorkloadBuilder.AddEnvironment(container, "Fluid__Node__AdvertiseAddress", "$(POD_IP)");
        WorkloadBuilder.AddEnvironment(container, "Fluid__Cache__Socket", CacheAgentSocket);
        MountToken(fluid, pod, container);
        var workload = new KubernetesWorkload(name, DaemonSet(name, fluid.Name, pod));
        RbacObjects.Grant(workload, ComponentPermissions.CacheAgent, fluid.Name, builder.Values);
        return workload;
    }

    private static string TokenSecretName(FluidResource fluid) => $"{fluid.Name}-objectstore-token";

    /// <summary>
    /// The token every caller of the object stores' RPC and bulk listeners presents, which they listen on the pod IP
    /// for. Given at install time, like every secret of the chart: <c>secrets.{stack}.objectStoreToken</c>.
    /// </summary>
    private static V1Secret TokenSecret(FluidResource fluid, WorkloadBuilder builder) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Metadata = WorkloadBuilder.Metadata(TokenSecretName(fluid), fluid.Name),
        Type = "Opaque",
        StringData = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["token"] = builder.Values.Required(["secrets", WorkloadBuilder.ValuesKey(fluid.Name), "objectStoreToken"], TokenPlaceholder),
        },
    };

    /// <summary>Mounts the token's Secret read-only (owner root, group the pod's fsGroup) and points the process at its file.</summary>
    private static void MountToken(FluidResource fluid, V1PodSpec pod, V1Container container)
    {
        pod.Volumes = [.. pod.Volumes ?? [], new V1Volume
        {
            Name = "objectstore-token",
            Secret = new V1SecretVolumeSource { SecretName = TokenSecretName(fluid), DefaultMode = Convert.ToInt32("440", 8) },
        }];
        container.VolumeMounts = [.. container.VolumeMounts ?? [], new V1VolumeMount { Name = "objectstore-token", MountPath = TokenDirectory, ReadOnlyProperty = true }];
        WorkloadBuilder.AddEnvironment(container, "Fluid__ObjectStore__TokenFile", $"{TokenDirectory}/token");
    }

    /// <summary>A service of the stack: its image, its HTTP port and probes, where etcd is, and for a daemon its node.</summary>
    private static V1Container Container(FluidResource fluid, WorkloadBuilder builder, StackComponent component)
    {
        var container = WorkloadBuilder.Container(component.Suffix, builder.Image(component.NameIn(fluid), component.Repository, StackComponent.ImageTag));
        WorkloadBuilder.ServeHttp(container);
        WorkloadBuilder.AddServiceProbes(container);
        WorkloadBuilder.AddEnvironment(container, "ConnectionStrings__fluid", ServiceConnectionString(fluid));
        if (component.RunsOnEveryNode)
        {
            WorkloadBuilder.AddFieldEnvironment(container, "Fluid__Node__Name", "spec.nodeName");
            WorkloadBuilder.AddEnvironment(container, "Fluid__Node__LeaseTtlSeconds", ((int)fluid.LeaseTtl.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        }

        return container;
    }

    /// <summary>
    /// A node daemon's pod. A hostPath directory is created owned by root, so an init container (root, with only
    /// CAP_CHOWN) hands the socket directory to the daemons' non-root user first.
    /// </summary>
    private static V1PodSpec NodeDaemonPod(FluidResource fluid, WorkloadBuilder builder, V1Container container, string name)
    {
        var pod = WorkloadBuilder.Pod(container);
        WorkloadBuilder.AddScratch(pod, container, "tmp", "/tmp");
        builder.Schedule(name, pod);
        MountSockets(builder, fluid, pod, container);
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
        return pod;
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

    private static string Mebibytes(int value) => string.Create(CultureInfo.InvariantCulture, $"{value}Mi");
}
