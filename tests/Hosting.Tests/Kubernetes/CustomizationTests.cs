using Aspire.Hosting;
using Fluid.Aspire.Hosting.Kubernetes;
using Fluid.Aspire.TestSupport;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Hosting.Tests.Kubernetes;

/// <summary>What a <c>PublishAsKubernetesWorkload</c> callback changes reaches both outputs, and helm still renders the chart.</summary>
public sealed class CustomizationTests
{
    [Fact]
    public async Task A_callback_on_the_stack_changes_its_workloads_in_the_chart_and_the_manifests()
    {
        using var directory = new TemporaryDirectory();
        var builder = InProcessPublish.Builder(directory.CreateFile("etcd"));
        builder.AddFluid("fluid").WithNodes(2).PublishAsKubernetesWorkload(workload =>
        {
            if (workload.Workload is V1DaemonSet)
            {
                workload.PodTemplate.Spec.PriorityClassName = "system-node-critical";
            }

            if (workload.Workload is V1Deployment deployment && workload.Name == "fluid-controller")
            {
                // Overwriting a value's field makes it fixed: the chart no longer reads parameters.fluid_controller.replicas.
                deployment.Spec.Replicas = 3;
            }
        });

        await InProcessPublish.WriteAsync(builder, directory.Path);

        var rendered = KubernetesYaml.LoadAllFromString(
            await KubernetesTools.RunAsync(KubernetesTools.Helm, "template", "fluid", Path.Combine(directory.Path, "chart"), "--set", "parameters.fluid_controller.replicas=7",
                "--set", "secrets.fluid.objectStoreToken=a-test-token-of-more-than-32-characters"),
            typeMap: null, strict: true);
        Assert.Equal(3, rendered.OfType<V1Deployment>().Single(d => d.Metadata.Name == "fluid-controller").Spec.Replicas);
        Assert.All(rendered.OfType<V1DaemonSet>(), daemonSet => Assert.Equal("system-node-critical", daemonSet.Spec.Template.Spec.PriorityClassName));
        Assert.Equal(2, rendered.OfType<V1DaemonSet>().Count());

        var manifest = KubernetesYaml.Deserialize<V1DaemonSet>(File.ReadAllText(Path.Combine(directory.Path, "manifests", "fluid-objectstore", "daemonset.yaml")), strict: true);
        Assert.Equal("system-node-critical", manifest.Spec.Template.Spec.PriorityClassName);
    }

    [Fact]
    public async Task An_entry_added_beside_a_node_selector_value_is_refused_with_where_to_set_it()
    {
        using var directory = new TemporaryDirectory();
        var builder = InProcessPublish.Builder(directory.CreateFile("etcd"));
        builder.AddFluid("fluid").PublishAsKubernetesWorkload(workload => workload.PodTemplate.Spec.NodeSelector["disk"] = "ssd");

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => InProcessPublish.WriteAsync(builder, directory.Path));

        Assert.Contains("parameters.fluid_etcd.nodeSelector", error.Message, StringComparison.Ordinal);
        Assert.Contains("values.yaml", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(directory.Path, "chart")), "A failed publish wrote a chart.");
    }
}
