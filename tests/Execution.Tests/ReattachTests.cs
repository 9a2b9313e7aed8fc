using Fluid.Aspire.TestSupport;
using static Fluid.Aspire.Execution.Tests.StepHarness;

namespace Fluid.Aspire.Execution.Tests;

/// <summary>A controller restart, played by two executors over one logs directory: the first is disposed, the second re-attaches.</summary>
public sealed class ReattachTests
{
    [Fact]
    public async Task A_step_still_running_is_followed_to_its_end_by_a_new_executor()
    {
        await using var harness = new StepHarness();
        var go = Path.Combine(harness.Root, "go");
        var script = harness.Script("long.sh", $"""
            echo before
            while [[ ! -e '{go}' ]]; do sleep 0.02; done
            echo after
            exit 4
            """);
        var launch = Launch("long", script);
        var first = harness.NewExecutor();
        var started = await harness.StartAsync(first, launch);
        await WaitForLogAsync(started.LogPath!, "out before");

        await first.DisposeAsync();
        var detached = await EndOf(started);
        var second = harness.NewExecutor();
        var reattached = await second.TryReattachAsync(launch, Cancellation);

        Assert.Equal(StepStatus.Detached, detached.Status);
        Assert.NotNull(reattached);
        Assert.True(reattached.IsReattached);
        Assert.Equal(started.ProcessId, reattached.ProcessId);
        Assert.Equal(started.StartedAt, reattached.StartedAt);
        Assert.False(reattached.Completion.IsCompleted);
        File.WriteAllText(go, "");
        var outcome = await EndOf(reattached);
        Assert.Equal(StepStatus.Failed, outcome.Status);
        Assert.Equal(4, outcome.ExitCode);
        Assert.Equal("exited with code 4", outcome.Reason);
        // The step kept its output after its first executor went: nothing of it passed through that executor.
        Assert.Equal(["out before", "out after"], OutputLines(reattached.LogPath!));
        var again = await second.TryReattachAsync(launch, Cancellation);
        Assert.Equal(4, (await again!.Completion).ExitCode);
    }

    [Fact]
    public async Task A_step_that_finished_meanwhile_is_reported_as_it_ended()
    {
        await using var harness = new StepHarness();
        var launch = Launch("done", "/bin/bash", "-c", "echo result; exit 5");
        var started = await harness.StartAsync(harness.NewExecutor(), launch);
        await EndOf(started);

        var reattached = await harness.NewExecutor().TryReattachAsync(launch, Cancellation);

        Assert.NotNull(reattached);
        Assert.True(reattached.Completion.IsCompletedSuccessfully);
        var outcome = await reattached.Completion;
        Assert.Equal(5, outcome.ExitCode);
        Assert.Equal("exited with code 5", outcome.Reason);
        Assert.EndsWith("out result", Assert.Single(outcome.LogTail), StringComparison.Ordinal);
        Assert.Equal(started.ProcessId, reattached.ProcessId);
    }

    [Fact]
    public async Task Nothing_is_found_for_a_step_never_started_in_this_run()
    {
        await using var harness = new StepHarness();
        var launch = Launch("once", "/bin/true");
        await EndOf(await harness.StartAsync(harness.NewExecutor(), launch));
        var executor = harness.NewExecutor();

        Assert.Null(await executor.TryReattachAsync(launch with { RunId = "run-2" }, Cancellation));
        Assert.Null(await executor.TryReattachAsync(launch with { StepName = "never" }, Cancellation));
    }

    [Fact]
    public async Task A_step_whose_wrapper_was_killed_is_lost_and_its_remains_are_killed()
    {
        await using var harness = new StepHarness();
        var launch = Launch("orphaned", "/bin/bash", "-c", "sleep 30 & echo ready; sleep 31");
        var first = harness.NewExecutor();
        var started = await harness.StartAsync(first, launch);
        await WaitForLogAsync(started.LogPath!, "out ready");
        var pid = started.ProcessId!.Value;
        var wrapper = Proc.ParentOf(pid);

        await first.DisposeAsync();
        Assert.True(Proc.Kill(wrapper, 9));
        await Eventually.ReturnsAsync(() => Proc.All().Any(p => p.Pid == wrapper && p.State != 'Z'), alive => !alive, Eventually.Patience, "the wrapper gone", Cancellation);
        var reattached = await harness.NewExecutor().TryReattachAsync(launch, Cancellation);

        Assert.NotNull(reattached);
        var outcome = await reattached.Completion;
        Assert.Equal(StepStatus.Lost, outcome.Status);
        Assert.StartsWith($"lost: its wrapper (pid {wrapper}) is gone and recorded no exit status", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("were killed, so that a rerun does not run beside them", outcome.Reason, StringComparison.Ordinal);
        await Eventually.ReturnsAsync(() => Proc.Survivors(pid, wrapper), survivors => survivors.Length == 0, Eventually.Patience, "no survivors", Cancellation);
    }

    [Fact]
    public async Task The_timeout_of_a_reattached_step_counts_from_its_start()
    {
        await using var harness = new StepHarness();
        var launch = Launch("slow", "/bin/bash", "-c", "sleep 30 & echo ready; sleep 31") with { Timeout = TimeSpan.FromSeconds(1.5) };
        var first = harness.NewExecutor();
        var started = await harness.StartAsync(first, launch);
        await WaitForLogAsync(started.LogPath!, "out ready");
        var pid = started.ProcessId!.Value;
        var wrapper = Proc.ParentOf(pid);
        await first.DisposeAsync();

        var reattached = await harness.NewExecutor().TryReattachAsync(launch, Cancellation);
        var outcome = await EndOf(reattached!);

        Assert.Equal(StepStatus.TimedOut, outcome.Status);
        Assert.Equal("killed after the 1.5 s timeout", outcome.Reason);
        Assert.InRange(outcome.Duration, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(3));
        Assert.Empty(Proc.Survivors(pid, wrapper));
    }

    [Fact]
    public async Task A_stop_begun_by_an_earlier_executor_is_finished_and_reported_by_the_next()
    {
        await using var harness = new StepHarness();
        var launch = Launch("stubborn", "/bin/bash", "-c", "trap '' TERM; echo ready; sleep 30");
        var first = harness.NewExecutor();
        var started = await harness.StartAsync(first, launch);
        await WaitForLogAsync(started.LogPath!, "out ready");
        var pid = started.ProcessId!.Value;
        var wrapper = Proc.ParentOf(pid);

        var cancelling = started.CancelAsync(Cancellation);
        await first.DisposeAsync();
        var reattached = await harness.NewExecutor().TryReattachAsync(launch, Cancellation);
        var outcome = await EndOf(reattached!);

        Assert.Equal(StepStatus.Cancelled, outcome.Status);
        Assert.StartsWith("cancelled", outcome.Reason, StringComparison.Ordinal);
        Assert.Empty(Proc.Survivors(pid, wrapper));
        await cancelling;
    }
}
