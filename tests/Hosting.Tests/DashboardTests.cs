using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Fluid.Aspire.Hosting.Tests.Docs;
using Fluid.Aspire.TestSupport;
using Microsoft.Playwright;
using Xunit.v3;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>
/// What a newcomer meets beside <c>./run.sh --dashboard</c>: the Aspire dashboard, looked at in a real browser
/// (Debian's chromium through Playwright), and the commands the README and docs/cli.md mark to be run, run as written.
/// In name order, on one stack: the commands end by deleting the sample's dataset.
/// </summary>
[TestCaseOrderer(typeof(ByMethodName))]
public sealed partial class DashboardTests(DashboardRun stack) : IClassFixture<DashboardRun>
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan PageWait = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);
    private static readonly string[] MarkedFiles = ["README.md", "docs/cli.md"];

    /// <summary>
    /// No error greets the user, the sample's dataset, runtime and steps are listed with their phase, and its run is one
    /// trace whose spans are its steps with their object puts and gets. The pages are kept as artifacts/test-results/dashboard-*.png.
    /// </summary>
    [Fact]
    public async Task A_the_dashboard_lists_the_runs_objects_and_traces_the_run_with_its_steps()
    {
        if (!File.Exists(Chromium))
        {
            Assert.Skip($"{Chromium} is missing; ./test.sh installs it as root (sudo apt-get install -y chromium).");
        }

        var cancellation = TestContext.Current.CancellationToken;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 1000 } });
        await page.GotoAsync(stack.LoginUrl);

        var resources = await WaitForTextAsync(page, text =>
            text.Contains("dataset-linear-regression", StringComparison.Ordinal)
            && text.Contains("runtime-linear-regression", StringComparison.Ordinal)
            && Regex.Count(text, @"linear-regression-step\d\s+Complete") == 3, cancellation);
        await page.ScreenshotAsync(new() { Path = Artifact("dashboard-resources.png") });
        Assert.DoesNotContain("development certificate", resources, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Bound", resources, StringComparison.Ordinal);
        Assert.Contains("Ready", resources, StringComparison.Ordinal);

        // The login set the session's cookie.
        await page.GotoAsync(new Uri(stack.LoginUrl).GetLeftPart(UriPartial.Authority) + "/traces");
        await WaitForTextAsync(page, text => text.Contains("run linear-regression", StringComparison.Ordinal), cancellation);
        await page.GetByText("run linear-regression").First.ClickAsync();
        var trace = await WaitForTextAsync(page, text => text.Contains("step linear-regression-step2", StringComparison.Ordinal), cancellation, reload: false);
        await page.ScreenshotAsync(new() { Path = Artifact("dashboard-trace.png"), FullPage = true });
        for (var step = 0; step < 3; step++)
        {
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"step linear-regression-step{step}"), trace, StringComparison.Ordinal);
        }

        Assert.Contains("objectstore put", trace, StringComparison.Ordinal);
        Assert.Contains("objectstore get", trace, StringComparison.Ordinal);
    }

    /// <summary>A second <c>./run.sh</c> beside it says so within 30 s and leaves it running (the next test uses it).</summary>
    [Fact]
    public async Task B_a_second_run_beside_it_fails_at_once_and_leaves_it_running()
    {
        await using var second = ChildProcess.Start(Path.Combine(RepositoryPaths.Root, "run.sh"), []);
        var exitCode = await second.WaitForExitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(exitCode == 1, second.Output);
        Assert.Contains($"error: a stack is already running on {Path.Combine(RepositoryPaths.Root, "AppHost", ".fluid", "fluid")}", second.Output, StringComparison.Ordinal);
        Assert.Contains("--state-dir DIR", second.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every block the README and docs/cli.md mark with <c>run</c>, from the repository's root as they say, with no
    /// setting: a script must succeed; a transcript's commands must exit as shown and print first what it shows (spaces
    /// aside: column widths follow the data). <c>fluid</c> is the built one, kubectl the one ./test.sh installs.
    /// </summary>
    [Fact]
    public async Task C_the_commands_the_readme_and_docs_cli_mark_run_as_written()
    {
        var blocks = MarkedFiles.SelectMany(f => MarkedBlock.In(Path.Combine(RepositoryPaths.Root, f))).ToList();
        Assert.True(blocks.Count >= 4, $"Only {blocks.Count} marked blocks were found.");
        using var tools = new TemporaryDirectory();
        var fluid = Path.Combine(tools.Path, "fluid");
        await File.WriteAllTextAsync(fluid, $"#!/bin/sh\nexec '{RepositoryPaths.DotnetHost}' '{RepositoryPaths.Output("src/Cli", "fluid")}' \"$@\"\n", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(fluid, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var kubectl = Environment.GetEnvironmentVariable("FLUID_KUBECTL") is { Length: > 0 } named ? Path.GetDirectoryName(named)! : Path.Combine(RepositoryPaths.Root, ".tools", "bin");
        var path = $"{tools.Path}:{kubectl}:{Environment.GetEnvironmentVariable("PATH")}";

        foreach (var block in blocks)
        {
            if (block.Language == "console")
            {
                foreach (var command in block.Commands())
                {
                    var (exitCode, output) = await RunAsync(command.Command, path);
                    var shown = $"{block}: $ {command.Command}\n{output}";
                    Assert.True(exitCode == command.ExitCode, $"exit code {exitCode}, the text shows {command.ExitCode}. {shown}");
                    var first = output.Split('\n').FirstOrDefault(l => l.Trim().Length > 0);
                    Assert.True(Spaced(first) == Spaced(command.FirstLine), $"The text shows first:\n{command.FirstLine}\n{shown}");
                }
            }
            else
            {
                var (exitCode, output) = await RunAsync(string.Join('\n', block.Lines), path);
                Assert.True(exitCode == 0, $"{block} exited with {exitCode}:\n{output}\n{stack.Output}");
            }
        }
    }

    /// <summary>Runs <paramref name="script"/> with bash from the repository's root, without KUBECONFIG: the stack is found by itself.</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(string script, string path)
    {
        await using var shell = ChildProcess.Start("bash", ["-e", "-o", "pipefail", "-c", script],
            new Dictionary<string, string?> { ["PATH"] = path, ["KUBECONFIG"] = null }, RepositoryPaths.Root);
        var exitCode = await shell.WaitForExitAsync(CommandTimeout, TestContext.Current.CancellationToken);
        return (exitCode, shell.Output);
    }

    private static string? Spaced(string? line) => line is null ? null : Regex.Replace(line.Trim(), @"\s+", " ");

    /// <summary>Reloads the page until its text satisfies <paramref name="done"/>: the dashboard fills in as the run goes.</summary>
    private static async Task<string> WaitForTextAsync(IPage page, Func<string, bool> done, CancellationToken cancellationToken, bool reload = true)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            await page.WaitForTimeoutAsync(2000);
            var text = await page.InnerTextAsync("body");
            if (done(text))
            {
                return text;
            }

            if (waited.Elapsed > PageWait)
            {
                await page.ScreenshotAsync(new() { Path = Artifact("dashboard-timeout.png") });
                Assert.Fail($"The dashboard did not show what was expected within {PageWait.TotalMinutes} minutes; it shows:\n{text}");
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (reload)
            {
                await page.ReloadAsync();
            }
        }
    }

    private static string Artifact(string name)
    {
        var directory = Path.Combine(RepositoryPaths.Root, "artifacts", "test-results");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name);
    }

    /// <summary>Runs a class's tests in the order of their names.</summary>
    public sealed class ByMethodName : ITestCaseOrderer
    {
        public IReadOnlyCollection<TTestCase> OrderTestCases<TTestCase>(IReadOnlyCollection<TTestCase> testCases)
            where TTestCase : notnull, Xunit.Sdk.ITestCase =>
            [.. testCases.OrderBy(t => t.TestMethod?.MethodName, StringComparer.Ordinal)];
    }
}
