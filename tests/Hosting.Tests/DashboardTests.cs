using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Fluid.Aspire.TestSupport;
using Microsoft.Playwright;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>
/// The Aspire dashboard of <c>./run.sh --dashboard</c>, looked at in a real browser (Debian's chromium through
/// Playwright): no error greets the user, the sample's dataset, runtime and steps are listed with their phase, and
/// its run is one trace whose spans come from its steps. The page is kept as artifacts/test-results/dashboard-*.png.
/// </summary>
public sealed partial class DashboardTests
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan PageWait = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task It_lists_the_runs_objects_and_traces_the_run_with_its_steps()
    {
        if (!File.Exists(Chromium))
        {
            Assert.Skip($"{Chromium} is missing; ./test.sh installs it as root (sudo apt-get install -y chromium).");
        }

        var cancellation = TestContext.Current.CancellationToken;
        using var state = new TemporaryDirectory();
        await using var run = ChildProcess.Start("setsid", [Path.Combine(RepositoryPaths.Root, "run.sh"), "--dashboard", "--state-dir", state.Path, "--rows", "20000"]);
        try
        {
            await run.WaitForOutputAsync(">>> The stack is up.", TimeSpan.FromMinutes(5), cancellation);
            var login = LoginUrl().Match(run.Output);
            Assert.True(login.Success, run.Output);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Args = ["--no-sandbox"] });
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 1000 } });
            await page.GotoAsync(login.Value);

            var resources = await WaitForTextAsync(page, text =>
                text.Contains("dataset-linear-regression", StringComparison.Ordinal)
                && text.Contains("runtime-linear-regression", StringComparison.Ordinal)
                && Regex.Count(text, @"linear-regression-step\d\s+Complete") == 3, cancellation);
            await page.ScreenshotAsync(new() { Path = Artifact("dashboard-resources.png") });
            Assert.DoesNotContain("development certificate", resources, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("Bound", resources, StringComparison.Ordinal);
            Assert.Contains("Ready", resources, StringComparison.Ordinal);

            // The login set the session's cookie.
            await page.GotoAsync(new Uri(login.Value).GetLeftPart(UriPartial.Authority) + "/traces");
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
        finally
        {
            using var stop = Process.Start("kill", ["-s", "INT", "--", "-" + run.Id.ToString(CultureInfo.InvariantCulture)]);
            await stop.WaitForExitAsync(CancellationToken.None);
            await run.WaitForExitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }
    }

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

    [GeneratedRegex(@"http://localhost:\d+/login\?t=[0-9a-f]+")]
    private static partial Regex LoginUrl();
}
