using k8s;
using k8s.Models;

namespace Fluid.Aspire.Hosting.Kubernetes;

/// <summary>
/// The Kubernetes objects one resource of the app model becomes, as KubernetesClient's typed models. A callback given
/// to <see cref="KubernetesEnvironmentExtensions.PublishAsKubernetesWorkload{T}"/> may change any of them before they
/// are written.
/// </summary>
/// <remarks>
/// Fields that are chart values (replicas, images, node selectors…) hold placeholders while the chart is built and
/// their defaults while the manifests are built; a callback that overwrites one makes it a fixed setting in both.
/// </remarks>
public sealed class KubernetesWorkload
{
    internal KubernetesWorkload(string name, IKubernetesObject<V1ObjectMeta> workload)
    {
        Name = name;
        Workload = workload;
    }

    /// <summary>The name shared by the objects, e.g. <c>fluid-controller</c>; also the folder of their templates.</summary>
    public string Name { get; }

    /// <summary>A <see cref="V1Deployment"/>, <see cref="V1StatefulSet"/>, <see cref="V1DaemonSet"/> or <see cref="V1Job"/>.</summary>
    public IKubernetesObject<V1ObjectMeta> Workload { get; }

    /// <summary>The pod template of <see cref="Workload"/>, where containers, volumes and scheduling are.</summary>
    public V1PodTemplateSpec PodTemplate => Workload switch
    {
        V1Deployment deployment => deployment.Spec.Template,
        V1StatefulSet statefulSet => statefulSet.Spec.Template,
        V1DaemonSet daemonSet => daemonSet.Spec.Template,
        V1Job job => job.Spec.Template,
        _ => throw new InvalidOperationException($"{Workload.Kind} is not a workload kind this publisher writes."),
    };

    /// <summary>The first container of the pod: the resource's own process.</summary>
    public V1Container Container => PodTemplate.Spec.Containers[0];

    /// <summary>The Service that other resources reach this one through, if it serves anything.</summary>
    public V1Service? Service { get; set; }

    /// <summary>The plain settings of the process, passed as environment variables through <c>envFrom</c>.</summary>
    public V1ConfigMap? ConfigMap { get; set; }

    /// <summary>The secret settings of the process, passed as environment variables through <c>envFrom</c>.</summary>
    public V1Secret? Secret { get; set; }

    /// <summary>The identity the pods run as, when they call the Kubernetes API.</summary>
    public V1ServiceAccount? ServiceAccount { get; set; }

    /// <summary>Everything else: further Services, roles and their bindings.</summary>
    public IList<IKubernetesObject<V1ObjectMeta>> AdditionalObjects { get; } = [];

    /// <summary>Every object, the workload first.</summary>
    public IEnumerable<IKubernetesObject<V1ObjectMeta>> Objects()
    {
        yield return Workload;
        foreach (var extra in new IKubernetesObject<V1ObjectMeta>?[] { Service, ConfigMap, Secret, ServiceAccount })
        {
            if (extra is not null)
            {
                yield return extra;
            }
        }

        foreach (var extra in AdditionalObjects)
        {
            yield return extra;
        }
    }
}
