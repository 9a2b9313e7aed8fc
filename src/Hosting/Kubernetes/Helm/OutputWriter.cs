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
    private static readonly ISerializer Yaml = new SerializerBuilder().WithQuotingNecessaryStrings().Build();

    public static async Task WriteAsync(KubernetesPublisher publisher, HelmChartSettings chart, string outputDirectory, CancellationToken cancellationToken)
    {
        var chartValues = ChartValues.ForChart();
        var templated = await publisher.BuildAsync(chartValues, cancellationToken).ConfigureAwait(false);
        var defaults = await publisher.BuildAsync(ChartValues.ForManifests(), cancellationToken).ConfigureAwait(false);

        var chartDirectory = Path.Combine(outputDirectory, "chart");
        var manifestsDirectory = Path.Combine(outputDirectory, "manifests");
        // What an earlier publish wrote for a resource that is gone would otherwise be installed with the rest.
        foreach (var directory in new[] { chartDirectory, manifestsDirectory })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        WriteChart(chartDirectory, chart, templated, chartValues);
        WriteManifests(manifestsDirectory, chart, defaults);
    }

    private static void WriteChart(string directory, HelmChartSettings chart, KubernetesOutput output, ChartValues values)
    {
        Write(Path.Combine(directory, "Chart.yaml"), Yaml.Serialize(new Dictionary<string, object>
        {
            ["apiVersion"] = "v2",
            ["name"] = chart.Name,
            ["description"] = "Published from an Aspire app model by Fluid.Aspire.",
            ["type"] = "application",
            ["version"] = chart.Version,
            ["appVersion"] = chart.AppVersion,
        }));

        foreach (var (file, text) in Templates(output, values.Render))
        {
            Write(Path.Combine(directory, "templates", file), text);
        }

        if (values.Templates.Count > 0)
        {
            var helpers = new StringBuilder();
            foreach (var (name, body) in values.Templates)
            {
                helpers.Append("{{- define \"").Append(name).Append("\" -}}\n").Append(body.Trim()).Append("\n{{- end -}}\n");
            }

            Write(Path.Combine(directory, "templates", "_helpers.tpl"), helpers.ToString());
        }

        values.EnsureAllRendered();

        foreach (var (file, text) in CustomResourceDefinitions(output))
        {
            Write(Path.Combine(directory, "crds", file), text);
        }

        // Aspire's sections, always present, so that an override file has a known shape.
        var tree = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["parameters"] = values.Tree.GetValueOrDefault("parameters") ?? new Dictionary<string, object>(),
            ["config"] = values.Tree.GetValueOrDefault("config") ?? new Dictionary<string, object>(),
            ["secrets"] = values.Tree.GetValueOrDefault("secrets") ?? new Dictionary<string, object>(),
        };
        Write(Path.Combine(directory, "values.yaml"),
            "# Settings of the published app model. parameters: images, replicas, sizes and scheduling per resource;\n" +
            "# config: each resource's plain environment; secrets: its secret environment, never given a value here.\n" +
            Yaml.Serialize(tree));
    }

    private static void WriteManifests(string directory, HelmChartSettings chart, KubernetesOutput output)
    {
        var files = new List<string>();
        foreach (var (file, text) in CustomResourceDefinitions(output))
        {
            files.Add($"crds/{file}");
            Write(Path.Combine(directory, "crds", file), text);
        }

        foreach (var (file, text) in Templates(output, yaml => yaml))
        {
            files.Add(file);
            Write(Path.Combine(directory, file), text);
        }

        Write(Path.Combine(directory, "kustomization.yaml"), Yaml.Serialize(new Dictionary<string, object>
        {
            ["apiVersion"] = "kustomize.config.k8s.io/v1beta1",
            ["kind"] = "Kustomization",
            ["namespace"] = chart.Namespace,
            ["resources"] = files,
        }));
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

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }
}
