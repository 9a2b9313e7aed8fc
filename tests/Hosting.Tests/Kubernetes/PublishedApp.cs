using System.Text.Json;
using Fluid.Aspire.TestSupport;
using k8s;

namespace Fluid.Aspire.Hosting.Tests.Kubernetes;

/// <summary>
/// The AppHost published as a user publishes it, by a real process (<c>--operation publish --step publish</c>), once
/// with two simulated nodes and once with one; the tests share both outputs.
/// </summary>
public sealed class PublishedApp : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new();

    /// <summary>What publishing with two nodes wrote: <c>chart/</c> and <c>manifests/</c>.</summary>
    public string Output => Path.Combine(_directory.Path, "two-nodes");

    /// <summary>What publishing with one node wrote.</summary>
    public string OneNodeOutput => Path.Combine(_directory.Path, "one-node");

    public async ValueTask InitializeAsync()
    {
        await PublishAsync(Output, nodes: 2);
        await PublishAsync(OneNodeOutput, nodes: 1);
    }

    public ValueTask DisposeAsync()
    {
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs the AppHost's publish step into <paramref name="output"/> and fails with its output unless it succeeds.</summary>
    public static async Task PublishAsync(string output, int nodes)
    {
        await using var process = StartPipeline(output, nodes, "publish");
        await process.WaitForExitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"Publishing exited with {process.ExitCode}:\n{process.Output}");
    }

    /// <summary>Starts the AppHost's pipeline at <paramref name="step"/>, as <c>aspire publish</c> and <c>aspire deploy</c> do.</summary>
    public static ChildProcess StartPipeline(string output, int nodes, string step, IDictionary<string, string?>? environment = null) =>
        ChildProcess.StartDotnet(
            RepositoryPaths.Output("AppHost", "Fluid.Aspire.AppHost"),
            ["--operation", "publish", "--step", step, "--output-path", output, $"--Fluid:Nodes={nodes}"],
            new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>())
            {
                // A parameter without a value would otherwise wait for input.
                ["ASPIRE_INTERACTIVITY_ENABLED"] = "false",
            });

    /// <summary>Every file under <paramref name="root"/>, by its path relative to it with '/' separators, in order.</summary>
    public static SortedDictionary<string, string> Files(string root) =>
        new(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllText), StringComparer.Ordinal);

    /// <summary>
    /// The Kubernetes objects of some YAML, each read strictly into its KubernetesClient type (an unknown field is an
    /// error) and written back as canonical JSON, so that two outputs compare regardless of order, quoting and comments.
    /// </summary>
    public static List<string> CanonicalObjects(string yaml) =>
    [
        .. KubernetesYaml.LoadAllFromString(yaml, typeMap: null, strict: true)
            .Select(o => JsonSerializer.Serialize(JsonDocument.Parse(KubernetesJson.Serialize(o)).RootElement))
            .Order(StringComparer.Ordinal),
    ];
}
