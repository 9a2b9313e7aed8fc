using System.Diagnostics;
using System.Globalization;
using Fluid.Aspire.Hosting.Lifetime;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>
/// <c>./run.sh</c> as a user runs it: mistakes and a stack already running are found before it builds, and interrupted,
/// wherever it is, it stops everything it started (the AppHost, DCP, etcd, the services).
/// </summary>
public sealed class RunShTests
{
    /// <summary>How run.sh shows the AppHost's and the services' log lines above Information.</summary>
    private static readonly string[] Complaints = ["warn:", "fail:", "crit:"];

    [Fact]
    public async Task Its_input_is_checked_where_the_user_is_before_it_builds()
    {
        using var here = new TemporaryDirectory();
        await using var run = ChildProcess.Start(Path.Combine(RepositoryPaths.Root, "run.sh"), ["--input", "../nope/x.csv"], workingDirectory: here.Path);
        var exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(exitCode == 1, run.Output);
        Assert.Contains($"error: --input ../nope/x.csv: there is no file {here.Path}/../nope/x.csv;", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Building", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Beside_a_running_stack_it_says_so_before_it_builds()
    {
        using var state = new TemporaryDirectory();
        using var held = StateDirectoryLock.Acquire(state.Path);

        await using var run = ChildProcess.Start(Path.Combine(RepositoryPaths.Root, "run.sh"), ["--state-dir", state.Path]);
        var exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(exitCode == 1, run.Output);
        Assert.Contains($"error: a stack is already running on {state.Path} (process {Environment.ProcessId}, ", run.Output, StringComparison.Ordinal);
        Assert.Contains("--state-dir DIR", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Building", run.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Ctrl+C as a terminal sends it, to the whole foreground process group, and SIGTERM as a service manager sends
    /// it, to the script alone (which must pass it on): both while it builds, Ctrl+C while the stack starts, SIGTERM
    /// while the sample's steps run; in a session of its own (setsid), as in a terminal of its own. Ctrl+C of a stack
    /// whose run is done is DashboardRun's. The other two cases, each a stack start of its own, are left out for the
    /// suite's time.
    /// </summary>
    [Theory]
    [InlineData("INT", true, "Building (Release)", 130)]
    [InlineData("TERM", false, "Building (Release)", 143)]
    [InlineData("INT", true, "· Starting the stack (", 130)]
    [InlineData("TERM", false, "· running linear-regression-step0", 143)]
    public async Task Interrupted_it_stops_the_stack_within_15_s_and_leaves_no_process_of_it(string signal, bool group, string when, int exitCode)
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var state = new TemporaryDirectory();
        // The suite built everything already; only the interruption of a build needs one.
        string[] build = when == "Building (Release)" ? [] : ["--no-build"];
        await using var run = ChildProcess.Start("setsid", [Path.Combine(RepositoryPaths.Root, "run.sh"), .. build, "--state-dir", state.Path, "--rows", "20000"]);
        await run.WaitForOutputAsync(when, TimeSpan.FromMinutes(4), cancellation);

        var target = run.Id.ToString(CultureInfo.InvariantCulture);
        using (var kill = Process.Start("kill", ["-s", signal, "--", group ? "-" + target : target]))
        {
            await kill.WaitForExitAsync(cancellation);
        }

        var stopping = Stopwatch.StartNew();
        var code = await run.WaitForExitAsync(TimeSpan.FromSeconds(60), cancellation);
        var took = stopping.Elapsed;

        Assert.True(code == exitCode, run.Output);
        Assert.True(took < TimeSpan.FromSeconds(15), $"It took {took.TotalSeconds:0.0} s to stop.\n{run.Output}");
        var left = StackProcesses.Mentioning(state.Path);
        Assert.True(left.Count == 0, $"Left running:\n{string.Join('\n', left)}\n{run.Output}");
    }

    /// <summary>The README's first command: the sample's result, and no warning or error on the way (the stack's own included).</summary>
    [Fact]
    public async Task A_run_prints_the_samples_result_and_no_warning_and_leaves_nothing_running()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var state = new TemporaryDirectory();
        await using var run = ChildProcess.Start("setsid", [Path.Combine(RepositoryPaths.Root, "run.sh"), "--state-dir", state.Path, "--rows", "20000"]);

        var code = await run.WaitForExitAsync(TimeSpan.FromMinutes(5), cancellation);

        Assert.True(code == 0, run.Output);
        Assert.Contains("RESULT r2=", run.Output, StringComparison.Ordinal);
        var complaints = run.Output.Split('\n').Where(l => Complaints.Any(c => l.StartsWith(c, StringComparison.Ordinal))).ToList();
        Assert.True(complaints.Count == 0, $"A normal run complained:\n{string.Join('\n', complaints)}\n{run.Output}");
        var left = StackProcesses.Mentioning(state.Path);
        Assert.True(left.Count == 0, $"Left running:\n{string.Join('\n', left)}\n{run.Output}");
    }

    [Fact]
    public async Task Its_timeout_counts_the_wait_for_the_stack_and_stops_everything()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var state = new TemporaryDirectory();
        await using var run = ChildProcess.Start("setsid", [Path.Combine(RepositoryPaths.Root, "run.sh"), "--no-build", "--state-dir", state.Path, "--timeout", "8", "--rows", "20000"]);

        var code = await run.WaitForExitAsync(TimeSpan.FromMinutes(3), cancellation);

        Assert.True(code == 124, run.Output);
        Assert.Contains("The run did not finish within 8 s (--timeout); stopping the stack.", run.Output, StringComparison.Ordinal);
        var left = StackProcesses.Mentioning(state.Path);
        Assert.True(left.Count == 0, $"Left running:\n{string.Join('\n', left)}\n{run.Output}");
    }
}
