using k8s.Models;
using Fluid.Aspire.Hosting.Kubernetes.Helm;

namespace Fluid.Aspire.Hosting.Kubernetes.Mapping;

/// <summary>
/// What every workload of the output shares: names and labels, the container with its image from values, probes,
/// a restricted security context, and the Service in front of it.
/// </summary>
internal sealed class WorkloadBuilder(ChartValues values)
{
    /// <summary>The port every ASP.NET Core service of the output listens on (<c>ASPNETCORE_HTTP_PORTS</c>).</summary>
    public const int HttpPort = 8080;

    /// <summary>The user of the .NET SDK's container images (<c>app</c>), as a number so that runAsNonRoot can check it.</summary>
    public const long AppUserId = 1654;

    public ChartValues Values { get; } = values;

    /// <summary>The key of a resource under <c>parameters</c> and <c>config</c>: its name with <c>-</c> as <c>_</c>, as Aspire's publisher writes it.</summary>
    public static string ValuesKey(string name) => name.Replace('-', '_');

    /// <summary>The labels of every object of a workload; the first two select its pods.</summary>
    public static Dictionary<string, string> Labels(string name, string partOf) => new(StringComparer.Ordinal)
    {
        ["app.kubernetes.io/name"] = name,
        ["app.kubernetes.io/part-of"] = partOf,
    };

    public static V1ObjectMeta Metadata(string name, string partOf) => new() { Name = name, Labels = Labels(name, partOf) };

    /// <summary>The path of one of <paramref name="name"/>'s settings under <c>parameters</c> in values.yaml.</summary>
    public static string[] Parameter(string name, string setting) => ["parameters", ValuesKey(name), setting];

    /// <summary>The image of <paramref name="name"/>'s container, <c>{image}:{tag}</c> from its parameters.</summary>
    public string Image(string name, string repository, string tag)
    {
        var image = Values.Declare(Parameter(name, "image"), repository);
        var version = Values.Declare(Parameter(name, "tag"), tag);
        // %v, so that a tag written as a number (tag: 2) still reads as written.
        return Values.Derived($"printf \"%v:%v\" {image} {version}", $"{repository}:{tag}");
    }

    /// <summary>The CPU request and the memory request and limit, the memory ones values of <paramref name="name"/>.</summary>
    public V1ResourceRequirements Resources(string name, string cpu, string memoryRequest, string memoryLimit) => new()
    {
        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = Values.Quantity(Parameter(name, "memoryRequest"), memoryRequest) },
        Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = Values.Quantity(Parameter(name, "memoryLimit"), memoryLimit) },
    };

    /// <summary>The pod's node selector and tolerations, values of <paramref name="name"/>.</summary>
    public void Schedule(string name, V1PodSpec pod)
    {
        pod.NodeSelector = Values.Map(Parameter(name, "nodeSelector"), new Dictionary<string, string>());
        pod.Tolerations = Values.Tolerations(Parameter(name, "tolerations"));
    }

    /// <summary>A container running as the image's non-root user, with a read-only root and no capabilities.</summary>
    public static V1Container Container(string name, string image) => new()
    {
        Name = name,
        Image = image,
        ImagePullPolicy = "IfNotPresent",
        SecurityContext = RestrictedSecurityContext(),
    };

    public static V1SecurityContext RestrictedSecurityContext() => new()
    {
        RunAsNonRoot = true,
        AllowPrivilegeEscalation = false,
        ReadOnlyRootFilesystem = true,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
    };

    public static V1PodSecurityContext PodSecurityContext() => new()
    {
        RunAsNonRoot = true,
        RunAsUser = AppUserId,
        RunAsGroup = AppUserId,
        FsGroup = AppUserId,
    };

    /// <summary>An HTTP GET probe; the scheme is upper case because the API server accepts only <c>HTTP</c> and <c>HTTPS</c>.</summary>
    public static V1Probe HttpProbe(string path, string port, int periodSeconds, int failureThreshold) => new()
    {
        HttpGet = new V1HTTPGetAction { Path = path, Port = port, Scheme = "HTTP" },
        PeriodSeconds = periodSeconds,
        FailureThreshold = failureThreshold,
        TimeoutSeconds = 5,
    };

    /// <summary>The readiness (<c>/health</c>) and liveness (<c>/alive</c>) probes the service defaults map.</summary>
    public static void AddServiceProbes(V1Container container)
    {
        container.ReadinessProbe = HttpProbe("/health", "http", periodSeconds: 5, failureThreshold: 3);
        container.LivenessProbe = HttpProbe("/alive", "http", periodSeconds: 10, failureThreshold: 6);
    }

    /// <summary>The ASP.NET Core port and the variable that makes the service listen on it.</summary>
    public static void ServeHttp(V1Container container)
    {
        container.Ports = [.. container.Ports ?? [], new V1ContainerPort { Name = "http", ContainerPort = HttpPort, Protocol = "TCP" }];
        AddEnvironment(container, "ASPNETCORE_HTTP_PORTS", HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public static void AddEnvironment(V1Container container, string name, string value) =>
        container.Env = [.. container.Env ?? [], new V1EnvVar { Name = name, Value = value }];

    /// <summary>A variable read from the pod's own fields, e.g. <c>spec.nodeName</c> or <c>status.podIP</c>.</summary>
    public static void AddFieldEnvironment(V1Container container, string name, string fieldPath) =>
        container.Env = [.. container.Env ?? [], new V1EnvVar { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = fieldPath } } }];

    /// <summary>A writable empty directory at <paramref name="path"/>, since the root filesystem is read-only.</summary>
    public static void AddScratch(V1PodSpec pod, V1Container container, string volume, string path)
    {
        pod.Volumes = [.. pod.Volumes ?? [], new V1Volume { Name = volume, EmptyDir = new V1EmptyDirVolumeSource() }];
        container.VolumeMounts = [.. container.VolumeMounts ?? [], new V1VolumeMount { Name = volume, MountPath = path }];
    }

    public static V1PodSpec Pod(V1Container container) => new()
    {
        Containers = [container],
        SecurityContext = PodSecurityContext(),
        AutomountServiceAccountToken = false,
    };

    public static V1PodTemplateSpec Template(string name, string partOf, V1PodSpec pod) => new()
    {
        Metadata = new V1ObjectMeta { Labels = Labels(name, partOf) },
        Spec = pod,
    };

    public static V1LabelSelector Selector(string name, string partOf) => new() { MatchLabels = Labels(name, partOf) };

    /// <summary>A ClusterIP Service named after the workload, in front of its pods.</summary>
    public static V1Service Service(string name, string partOf, params V1ServicePort[] ports) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Metadata(name, partOf),
        Spec = new V1ServiceSpec { Type = "ClusterIP", Selector = Labels(name, partOf), Ports = ports },
    };

    public static V1ServicePort Port(string name, int port) => new() { Name = name, Port = port, TargetPort = name, Protocol = "TCP" };
}
