using System.Text.Json;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>
/// The sample's notebooks, executed headless as a user's Jupyter would (nbconvert with the .NET Interactive kernel),
/// against this repository's build of the sample. A failing cell fails the test. Without the tooling the tests skip
/// and say what is missing, except on CI (CI=true), where the notebooks must run.
/// </summary>
public sealed class NotebookTests
{
    private static readonly string Notebooks = Path.Combine(RepositoryPaths.Root, "samples", "LinearRegression", "notebooks");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_steps_in_process_notebook_runs_and_plots_predicted_against_actual()
    {
        await RequireToolingAsync();

        await ExecuteAsync("01-steps-in-process.ipynb", new Dictionary<string, string?>());
    }

    [Fact]
    public async Task The_flow_on_a_stack_notebook_runs_the_flow_on_two_nodes_and_plots_it()
    {
        await RequireToolingAsync();
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);

        await ExecuteAsync("02-flow-on-a-stack.ipynb", new Dictionary<string, string?> { ["ConnectionStrings__fluid"] = cluster.ConnectionString });
    }

    private static async Task ExecuteAsync(string notebook, Dictionary<string, string?> environment)
    {
        using var output = new TemporaryDirectory();
        environment["FLUID_SAMPLE_BUILD"] = Path.GetDirectoryName(RepositoryPaths.Output("samples/LinearRegression", "Fluid.Aspire.Samples.LinearRegression"));
        await using var nbconvert = ChildProcess.Start("jupyter",
            // --allow-errors: the executed notebook is written even when a cell fails, so that the failure can show the cell's own output
            // (the compiler's messages); the test fails on any error output all the same.
            ["nbconvert", "--to", "notebook", "--execute", "--allow-errors", "--ExecutePreprocessor.timeout=600", "--output-dir", output.Path,
                Path.Combine(Notebooks, notebook)],
            environment);
        var exitCode = await nbconvert.WaitForExitAsync(TimeSpan.FromMinutes(5), Cancellation);

        Assert.True(exitCode == 0, $"{notebook} failed (nbconvert exit code {exitCode}):\n{nbconvert.Output}");
        using var executed = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output.Path, notebook), Cancellation));
        var cells = executed.RootElement.GetProperty("cells").EnumerateArray().Where(c => c.GetProperty("cell_type").GetString() == "code").ToList();
        var failed = cells.Where(c => c.GetProperty("outputs").EnumerateArray().Any(o => o.GetProperty("output_type").GetString() == "error")).Select(Describe).FirstOrDefault();
        Assert.True(failed is null, $"A cell of {notebook} failed:\n{failed}");
        var outputs = cells.SelectMany(c => c.GetProperty("outputs").EnumerateArray()).ToList();
        var png = outputs.Where(o => o.TryGetProperty("data", out var data) && data.TryGetProperty("image/png", out _))
            .Select(o => Convert.FromBase64String(o.GetProperty("data").GetProperty("image/png").GetString()!))
            .FirstOrDefault();
        Assert.True(png is not null, $"{notebook} showed no image/png output (the predicted-against-actual plot).");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    /// <summary>A cell's source and what it printed, errors included.</summary>
    private static string Describe(JsonElement cell) =>
        $"{Text(cell, "source")}\n--- its output ---\n" +
        string.Join("\n", cell.GetProperty("outputs").EnumerateArray().Select(o => $"{Text(o, "text")}{Text(o, "ename")} {Text(o, "evalue")}"));

    /// <summary>A notebook field that is a string or a list of lines (nbformat allows both).</summary>
    private static string Text(JsonElement element, string property) =>
        !element.TryGetProperty(property, out var value) ? ""
        : value.ValueKind == JsonValueKind.Array ? string.Concat(value.EnumerateArray().Select(l => l.GetString()))
        : value.GetString() ?? "";

    /// <summary>Skips (or, on CI, fails) when nbconvert or the .NET kernel is missing, naming what to install.</summary>
    private static async Task RequireToolingAsync()
    {
        var missing = await MissingToolingAsync();
        if (missing is null)
        {
            return;
        }

        var reason = $"The notebooks cannot run here: {missing}. .ci/prerequisites.sh's fluid_notebook_prerequisites installs what they need (./test.sh calls it).";
        Assert.False(Environment.GetEnvironmentVariable("CI") == "true", reason);
        Assert.Skip(reason);
    }

    private static async Task<string?> MissingToolingAsync()
    {
        try
        {
            await using var nbconvert = ChildProcess.Start("jupyter", ["nbconvert", "--version"]);
            if (await nbconvert.WaitForExitAsync(TimeSpan.FromMinutes(1), Cancellation) != 0)
            {
                return $"jupyter nbconvert does not run ({nbconvert.Output.Trim()})";
            }

            await using var kernels = ChildProcess.Start("jupyter", ["kernelspec", "list"]);
            await kernels.WaitForExitAsync(TimeSpan.FromMinutes(1), Cancellation);
            return kernels.Output.Contains(".net-csharp", StringComparison.Ordinal)
                ? null
                : "the .NET (C#) Jupyter kernel is not installed (dotnet tool restore && dotnet tool run dotnet-interactive jupyter install)";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "jupyter is not installed (Debian: apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel)";
        }
    }
}
