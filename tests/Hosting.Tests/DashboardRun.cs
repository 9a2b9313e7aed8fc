using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>
/// <c>./run.sh --dashboard --rows 20000</c> as the README has a newcomer run it (on what the suite built), on the default state directory (so
/// that its kubeconfig is <c>artifacts/kubeconfig</c> and it publishes itself for <c>fluid</c>), once the sample's
/// run has completed; stopped with Ctrl+C at the end.
/// </summary>
public sealed partial class DashboardRun : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    private ChildProcess? _run;

    /// <summary>The URL that logs a browser in to the dashboard.</summary>
    public string LoginUrl { get; private set; } = "";

    public static string Kubeconfig => Path.Combine(RepositoryPaths.Root, "artifacts", "kubeconfig");

    public string Output => _run?.Output ?? "";

    public async ValueTask InitializeAsync()
    {
        var cancellation = TestContext.Current.CancellationToken;
        _run = ChildProcess.Start("setsid", [Path.Combine(RepositoryPaths.Root, "run.sh"), "--dashboard", "--no-build", "--rows", "20000"]);
        await _run.WaitForOutputAsync(">>> The stack is up.", StartTimeout, cancellation);
        var login = LoginPattern().Match(_run.Output);
        Assert.True(login.Success, _run.Output);
        LoginUrl = login.Value;

        using var client = new FluidClient(new ClientConfig { KubeConfigFile = Kubeconfig });
        try
        {
            await Eventually.ReturnsAsync(
                async () => (await client.Store.ListAsync<DataProcess>(cancellationToken: cancellation)).Items,
                steps => steps.Count == 3 && steps.All(s => s.Status?.Phase == OperationPhase.Complete),
                StartTimeout, "the sample's three steps complete", cancellation,
                steps => string.Join('\n', steps.Select(s => ResourceJson.Serialize(s))));
        }
        catch (TimeoutException ex)
        {
            // Where a run that makes no steps is stuck: its dataset and runtime, and what the stack said last.
            var datasets = (await client.Store.ListAsync<Dataset>(cancellationToken: cancellation)).Items;
            var runtimes = (await client.Store.ListAsync<ObjectStoreRuntime>(cancellationToken: cancellation)).Items;
            throw new TimeoutException(
                $"{ex.Message}\n{string.Join('\n', datasets.Select(d => ResourceJson.Serialize(d)))}\n" +
                $"{string.Join('\n', runtimes.Select(r => ResourceJson.Serialize(r)))}\nrun.sh's last lines:\n{ChildProcess.Tail(Output, 40)}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_run is null)
        {
            return;
        }

        using (var stop = Process.Start("kill", ["-s", "INT", "--", "-" + _run.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await stop.WaitForExitAsync(CancellationToken.None);
        }

        var stopping = Stopwatch.StartNew();
        var exitCode = await _run.WaitForExitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        var took = stopping.Elapsed;
        await _run.DisposeAsync();

        // Ctrl+C stops a --dashboard stack too, whole and at once.
        var left = StackProcesses.Mentioning(Path.Combine(RepositoryPaths.Root, "AppHost", ".fluid") + "/");
        if (exitCode != 130 || took > TimeSpan.FromSeconds(15) || left.Count > 0)
        {
            throw new InvalidOperationException(
                $"Ctrl+C: exit code {exitCode} (130 expected) after {took.TotalSeconds:0.0} s (15 s at most); left running:\n{string.Join('\n', left)}\n{_run.Output}");
        }
    }

    [GeneratedRegex(@"http://localhost:\d+/login\?t=[0-9a-f]+")]
    private static partial Regex LoginPattern();
}
