using System.Text;
using k8s;
using k8s.Models;
using YamlDotNet.Serialization;

namespace Fluid.Aspire.Hosting.Kubernetes.Helm;

/// <summary>
/// Writes an environment's output: <c>chart/</c>, a Helm chart in the layout Aspire's publisher uses, and
/// <c>manifests/</c>, the same objects with the default values and a <c>kustomization.yaml</c>.
/// </summary>
internal static class OutputWriter
{
    private static readonly string[] OwnDirectories = ["chart", "manifests"];

    private static readonly ISerializer Yaml = new SerializerBuilder().WithQuotingNecessaryStrings().Build();

    public static async Task WriteAsync(KubernetesPublisher publisher, HelmChartSettings chart, string outputDirectory, CancellationToken cancellationToken)
    {
        var chartValues = ChartValues.ForChart();
        var templated = await publisher.BuildAsync(chartValues, cancellationToken).ConfigureAwait(false);
        var defaults = await publisher.BuildAsync(ChartValues.ForManifests(), cancellationToken).ConfigureAwait(false);

        // Everything is rendered before anything is written, so that a failure leaves the last good output in place.
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        AddChart(files, chart, templated, chartValues);
        AddManifests(files, chart, defaults);

        // What an earlier publish wrote for a resource that is gone would otherwise be installed with the rest.
        foreach (var directory in OwnDirectories.Select(d => Path.Combine(outputDirectory, d)).Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }

        foreach (var (file, text) in files)
        {
            var path = Path.Combine(outputDirectory, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, text.ReplaceLineEndings("\n"), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), cancellationToken).ConfigureAwait(false);
        }
    }

    private static void AddChart(SortedDictionary<string, string> files, HelmChartSettings chart, KubernetesOutput output, ChartValues values)
    {
        files["chart/Chart.yaml"] = Yaml.Serialize(new Dictionary<string, object>
        {
            ["apiVersion"] = "v2",
            ["name"] = chart.Name,
            ["description"] = "Published from an Aspire app model by Fluid.Aspire.",
            ["type"] = "application",
            ["version"] = chart.Version,
            ["appVersion"] = chart.AppVersion,
        });

        foreach (var (file, text) in Templates(output, values.Render))
        {
            files[$"chart/templates/{file}"] = text;
        }

        if (values.Templates.Count > 0)
        {
            var helpers = new StringBuilder();
            foreach (var (name, body) in values.Templates)
            {
                helpers.Append("{{- define \"").Append(name).Append("\" -}}\n").Append(body.Trim()).Append("\n{{- end -}}\n");
            }

            files["chart/templates/_helpers.tpl"] = helpers.ToString();
        }

        foreach (var (file, text) in CustomResourceDefinitions(output))
        {
            files[$"chart/crds/{file}"] = text;
        }

        // Aspire's sections, always present, so that an override file has a known shape.
        var tree = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["parameters"] = values.Tree.GetValueOrDefault("parameters") ?? new Dictionary<string, object>(),
            ["config"] = values.Tree.GetValueOrDefault("config") ?? new Dictionary<string, object>(),
            ["secrets"] = values.Tree.GetValueOrDefault("secrets") ?? new Dictionary<string, object>(),
        };
        files["chart/values.yaml"] =
            "# Settings of the published app model. parameters: images, replicas, sizes and scheduling per resource;\n" +
            "# config: each resource's plain environment; secrets: its secret environment, never given a value here:\n" +
            "# the chart does not render until each is set (helm install -f my-secrets.yaml, or --set secrets.<resource>.<NAME>=…).\n" +
            Yaml.Serialize(tree);
    }

    private static void AddManifests(SortedDictionary<string, string> files, HelmChartSettings chart, KubernetesOutput output)
    {
        var resources = new List<string>();
        foreach (var (file, text) in CustomResourceDefinitions(output).Select(f => ($"crds/{f.File}", f.Text)).Concat(Templates(output, yaml => yaml)))
        {
            resources.Add(file);
            files[$"manifests/{file}"] = text;
        }

        files["manifests/kustomization.yaml"] = Yaml.Serialize(new Dictionary<string, object>
        {
            ["apiVersion"] = "kustomize.config.k8s.io/v1beta1",
            ["kind"] = "Kustomization",
            ["namespace"] = chart.Namespace,
            ["resources"] = resources,
        });
    }

    /// <summary>One file per workload and kind, <c>{workload}/{kind}.yaml</c>, several objects of a kind in one file.</summary>
    private static IEnumerable<(string File, string Text)> Templates(KubernetesOutput output, Func<string, string> render) =>
        output.Workloads.SelectMany(workload => workload.Objects()
            .GroupBy(o => o.Kind, StringComparer.Ordinal)
            .Select(kind => ($"{workload.Name}/{kind.Key.ToLowerInvariant()}.yaml",
                string.Join("---\n", kind.Select(o => render(Serialize(o)))))));

    private static IEnumerable<(string File, string Text)> CustomResourceDefinitions(KubernetesOutput output) =>
        output.CustomResourceDefinitions.Select(crd => ($"{crd.Metadata.Name}.yaml", Serialize(crd)));

    private static string Serialize(object value)
    {
        var yaml = KubernetesYaml.Serialize(value);
        return yaml.EndsWith('\n') ? yaml : yaml + "\n";
    }
}
