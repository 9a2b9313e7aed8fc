using Fluid.Aspire.Hosting.Kubernetes.Helm;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Hosting.Tests.Kubernetes;

/// <summary>The placeholder mechanism on its own: what a token becomes, and what it refuses.</summary>
public sealed class ChartValuesTests
{
    [Fact]
    public void Each_kind_of_value_renders_as_its_Helm_text()
    {
        var values = ChartValues.ForChart();
        var pod = new V1PodSpec
        {
            Hostname = values.String(["parameters", "web", "host"], "web-0"),
            NodeSelector = values.Map(["parameters", "web", "nodeSelector"], new Dictionary<string, string>()),
            Tolerations = values.Tolerations(["parameters", "web", "tolerations"]),
            Containers =
            [
                new V1Container
                {
                    Name = "web",
                    Ports = [new V1ContainerPort { ContainerPort = values.Int(["parameters", "web", "port"], 8080) }],
                    Env = [new V1EnvVar { Name = "A", Value = values.String(["config", "web", "MY-SETTING"], "x") }],
                },
            ],
        };

        var yaml = values.Render(KubernetesYaml.Serialize(pod));

        Assert.Contains("hostname: {{ .Values.parameters.web.host | quote }}", yaml, StringComparison.Ordinal);
        Assert.Contains("- containerPort: {{ .Values.parameters.web.port | int }}", yaml, StringComparison.Ordinal);
        Assert.Contains("value: {{ (index .Values \"config\" \"web\" \"MY-SETTING\") | quote }}", yaml, StringComparison.Ordinal);
        Assert.Contains("nodeSelector:\n  {{- toYaml .Values.parameters.web.nodeSelector | nindent 2 }}", yaml, StringComparison.Ordinal);
        // A list item stands at its key's column; its replacement goes deeper, or '[]' would be the key's sibling.
        Assert.Contains("tolerations:\n{{- toYaml .Values.parameters.web.tolerations | nindent 2 }}", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Manifests_get_the_defaults_and_no_Helm_text()
    {
        var values = ChartValues.ForManifests();
        var port = values.Int(["parameters", "web", "port"], 8080);
        var storage = values.Quantity(["parameters", "web", "storage"], "2Gi");

        Assert.Equal(8080, port);
        Assert.Equal("2Gi", storage.ToString());
        Assert.Equal(8080, ((Dictionary<string, object>)((Dictionary<string, object>)values.Tree["parameters"])["web"])["port"]);
    }

    [Fact]
    public void Quantity_placeholders_survive_the_quantity_type_unchanged()
    {
        var values = ChartValues.ForChart();
        for (var i = 0; i < 300; i++)
        {
            var quantity = values.DerivedQuantity($".Values.q{i}", "1Gi");
            var text = KubernetesYaml.Serialize(new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = quantity } });
            Assert.Contains($".Values.q{i} | quote", values.Render(text), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_value_inside_a_longer_string_is_refused()
    {
        var values = ChartValues.ForChart();
        var host = values.String(["parameters", "web", "host"], "web");
        var yaml = KubernetesYaml.Serialize(new V1EnvVar { Name = "URL", Value = $"http://{host}:80" });

        var error = Assert.Throws<InvalidOperationException>(() => values.Render(yaml));
        Assert.Contains(".Values.parameters.web.host", error.Message, StringComparison.Ordinal);
        Assert.Contains("Derived", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_declared_twice_with_two_defaults_is_refused()
    {
        var values = ChartValues.ForManifests();
        values.String(["parameters", "web", "tag"], "1.0");
        values.String(["parameters", "web", "tag"], "1.0");

        Assert.Throws<InvalidOperationException>(() => values.String(["parameters", "web", "tag"], "2.0"));
    }
}
