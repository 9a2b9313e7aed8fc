using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Fluid.Aspire.TestSupport;
using static Fluid.Aspire.Execution.Tests.StepHarness;

namespace Fluid.Aspire.Execution.Tests;

public sealed partial class LocalProcessExecutorTests
{
    [Theory]
    [InlineData(0, StepStatus.Succeeded)]
    [InlineData(3, StepStatus.Failed)]
    public async Task The_exit_code_is_reported(int code, StepStatus status)
    {
        await using var harness = new StepHarness();

        var execution = await harness.StartAsync(Launch("exit", "/bin/bash", "-c", $"echo bye; exit {code}"));
        var outcome = await EndOf(execution);

        Assert.Equal(status, outcome.Status);
        Assert.Equal(code, outcome.ExitCode);
        Assert.Null(outcome.Signal);
        Assert.Equal($"exited with code {code}", outcome.Reason);
        Assert.EndsWith("out bye", Assert.Single(outcome.LogTail), StringComparison.Ordinal);
        Assert.InRange(outcome.Duration, TimeSpan.Zero, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task The_environment_and_working_directory_reach_the_step()
    {
        await using var harness = new StepHarness();
        var workingDirectory = Directory.CreateDirectory(Path.Combine(harness.Root, "work dir")).FullName;
        var script = harness.Script("env.sh", """
            echo "pwd=$PWD"
            for name in GREETING FLUID_OBJECTSTORE_SOCKET FLUID_CACHE_SOCKET FLUID_DATASET FLUID_DATASET_PATH FLUID_NODE FLUID_STEP FLUID_NAMESPACE FLUID_RUN_ID FLUID_ATTEMPT; do
              echo "$name=${!name-unset}"
            done
            """);
        var launch = new StepLaunch
        {
            Namespace = "team-a",
            StepName = "prepare",
            RunId = "run-42",
            Attempt = 2,
            NodeName = "node-1",
            Command = script,
            Environment = new Dictionary<string, string> { ["GREETING"] = "hello world", ["FLUID_NODE"] = "overridden" },
            WorkingDirectory = workingDirectory,
            Context = new StepNodeContext
            {
                ObjectStoreSocket = "/run/fluid/store.sock", CacheAgentSocket = "/run/fluid/cache.sock", DatasetName = "imagenet", DatasetPath = "/data/imagenet",
            },
        };

        var execution = await harness.StartAsync(launch);
        var outcome = await EndOf(execution);

        Assert.True(outcome.Succeeded, outcome.Reason);
        Assert.Equal(Path.Combine(harness.Options.LogsDirectory, "team-a", "prepare.log"), execution.LogPath);
        Assert.Equal(
            [
                $"out pwd={workingDirectory}",
                "out GREETING=hello world",
                "out FLUID_OBJECTSTORE_SOCKET=/run/fluid/store.sock",
                "out FLUID_CACHE_SOCKET=/run/fluid/cache.sock",
                "out FLUID_DATASET=imagenet",
                "out FLUID_DATASET_PATH=/data/imagenet",
                "out FLUID_NODE=node-1",
                "out FLUID_STEP=prepare",
                "out FLUID_NAMESPACE=team-a",
                "out FLUID_RUN_ID=run-42",
                "out FLUID_ATTEMPT=2",
            ],
            OutputLines(execution.LogPath!));
    }

    [Fact]
    public async Task Stdout_and_stderr_lines_land_in_the_log_in_order_timestamped_and_marked()
    {
        await using var harness = new StepHarness();
        // Each stream has a reader of its own, which appends a line when it gets to it: the order across streams is
        // the order of writing only if each line lands before the next is written, so the step waits for that.
        var script = harness.Script("streams.sh", """
            log=$1
            landed() {
              local tries
              for ((tries = 0; tries < 3000; tries++)); do
                grep -qF -- "$1" "$log" && return
                sleep 0.01
              done
              exit 1
            }
            for i in 1 2 3; do
              echo "to stdout $i"
              landed "out to stdout $i"
              echo "to stderr $i" >&2
              landed "err to stderr $i"
            done
            printf 'no newline at the end'
            """);
        var executor = harness.NewExecutor();

        var execution = await harness.StartAsync(executor, Launch("streams", script, executor.GetLogPath("tests", "streams")));
        await EndOf(execution, Eventually.Patience.TotalSeconds);

        Assert.Equal(
            ["out to stdout 1", "err to stderr 1", "out to stdout 2", "err to stderr 2", "out to stdout 3", "err to stderr 3", "out no newline at the end"],
            OutputLines(execution.LogPath!));
        var lines = File.ReadAllLines(execution.LogPath!);
        Assert.All(lines, line => Assert.Matches(LogLine(), line));
        Assert.Contains("=== attempt 1 of tests/streams, run run-1, on node-0", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("fluid === exited with code 0 ===", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_log_tail_is_bounded_in_lines_and_bytes()
    {
        await using var harness = new StepHarness();

        var many = await EndOf(await harness.StartAsync(Launch("many", "/bin/bash", "-c", "for i in $(seq 1 1000); do echo \"line $i\"; done; exit 1")));
        var wide = await EndOf(await harness.StartAsync(Launch("wide", "/bin/bash", "-c", "for i in $(seq 1 40); do printf \"%0500d\\n\" $i; done")));
        var huge = await EndOf(await harness.StartAsync(Launch("huge", "/bin/bash", "-c", "echo before; printf 'a%.0s' $(seq 1 20000); printf z")));

        Assert.Equal(40, many.LogTail.Count);
        Assert.EndsWith("out line 961", many.LogTail[0], StringComparison.Ordinal);
        Assert.EndsWith("out line 1000", many.LogTail[^1], StringComparison.Ordinal);
        Assert.InRange(Bytes(wide.LogTail), 1, 8 * 1024);
        Assert.True(wide.LogTail.Count < 40, $"{wide.LogTail.Count} lines of 500 characters cannot fit in 8 KiB");
        Assert.EndsWith("0040", wide.LogTail[^1], StringComparison.Ordinal);
        // A last line longer than the bound keeps its end, which is where errors usually are.
        var end = Assert.Single(huge.LogTail);
        Assert.StartsWith("…aaa", end, StringComparison.Ordinal);
        Assert.EndsWith("aaaz", end, StringComparison.Ordinal);
        Assert.InRange(Bytes(huge.LogTail), 8 * 1024 - 8, 8 * 1024);

        static int Bytes(IEnumerable<string> lines) => lines.Sum(line => Encoding.UTF8.GetByteCount(line) + 1);
    }

    [Fact]
    public async Task A_log_is_rotated_at_its_size_while_the_step_writes_and_before_an_attempt_keeping_its_last_files()
    {
        await using var harness = new StepHarness();
        harness.Options.LogMaxBytes = 64 * 1024;
        harness.Options.LogMaxFiles = 3;
        const string Chatty = "for i in $(seq 1 20000); do echo \"line $i of the output, long enough to fill a log soon\"; ((i % 100)) || echo \"error $i\" >&2; done";

        var execution = await harness.StartAsync(Launch("chatty", "/bin/bash", "-c", Chatty));
        // 20,000 lines through the wrapper's readers: seconds alone, a minute or more on a machine the suite loads.
        var outcome = await EndOf(execution, seconds: 180);

        var log = execution.LogPath!;
        string[] files = [log, $"{log}.1", $"{log}.2"];
        Assert.All(files, file => Assert.InRange(new FileInfo(file).Length, 1, (64 * 1024) + (64 * 200)));
        Assert.False(File.Exists($"{log}.3"), "more files kept than LogMaxFiles");
        Assert.EndsWith("out line 20000 of the output, long enough to fill a log soon", outcome.LogTail[^1], StringComparison.Ordinal);
        var kept = files.Reverse().SelectMany(File.ReadLines).ToList();
        Assert.Contains("=== exited with code 0 ===", kept[^1], StringComparison.Ordinal);
        // What the files keep is whole and in order, errors included: nothing went to a file already renamed.
        var lines = kept.Where(l => l.Contains(" out line ", StringComparison.Ordinal)).Select(l => int.Parse(l.Split(' ')[3], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(lines[0], 20001 - lines[0]), lines);
        var errors = kept.Where(l => l.Contains(" err error ", StringComparison.Ordinal)).Select(l => int.Parse(l.Split(' ')[3], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(0, errors.Count).Select(i => errors[0] + (100 * i)), errors);
        Assert.Equal(20000, errors[^1]);

        // A log already beyond its size is rotated before the next attempt writes to it.
        File.AppendAllText(log, string.Concat(Enumerable.Repeat("2026-01-01T00:00:00.000Z out padding\n", 2000)));
        var retry = await EndOf(await harness.StartAsync(Launch("chatty", "/bin/bash", "-c", "echo again") with { Attempt = 2 }));

        Assert.EndsWith(" out again", Assert.Single(retry.LogTail), StringComparison.Ordinal);
        Assert.Contains(" fluid === attempt 2 of ", File.ReadLines(log).First(), StringComparison.Ordinal);
        Assert.EndsWith("out padding", File.ReadLines($"{log}.1").Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_process_tree_including_grandchildren_that_ignore_sigterm()
    {
        await using var harness = new StepHarness();
        // The step and everything it starts ignore SIGTERM (an ignored signal stays ignored across fork and exec).
        var script = harness.Script("tree.sh", """
            trap '' TERM
            sleep 30 &
            (trap '' TERM; exec sleep 31) &
            bash -c 'sleep 32; echo never' &
            echo ready
            wait
            """);
        var launch = Launch("tree", script) with { Timeout = TimeSpan.FromSeconds(1) };

        var execution = await harness.StartAsync(launch);
        await WaitForLogAsync(execution.LogPath!, "out ready");
        var pid = execution.ProcessId!.Value;
        var wrapper = Proc.ParentOf(pid);
        Assert.True(Proc.Survivors(pid, wrapper).Length >= 5, "the step, its three children and sleep 32 should run");
        var outcome = await EndOf(execution);

        Assert.Equal(StepStatus.TimedOut, outcome.Status);
        Assert.True(outcome.TimedOut);
        Assert.StartsWith("killed after the 1 s timeout", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("SIGKILL", outcome.Reason, StringComparison.Ordinal);
        Assert.Empty(Proc.Survivors(pid, wrapper));
        Assert.DoesNotContain(Proc.All(), p => p.Pid == wrapper);
        Assert.InRange(outcome.Duration, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
        Assert.Contains("timeout of 1 s reached", File.ReadAllText(execution.LogPath!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_kills_the_whole_process_tree()
    {
        await using var harness = new StepHarness();
        var script = harness.Script("cancel.sh", """
            sleep 30 &
            echo ready
            sleep 31
            """);

        var execution = await harness.StartAsync(Launch("cancel", script));
        await WaitForLogAsync(execution.LogPath!, "out ready");
        var pid = execution.ProcessId!.Value;
        var wrapper = Proc.ParentOf(pid);
        await execution.CancelAsync(Cancellation);
        var outcome = await EndOf(execution);

        Assert.Equal(StepStatus.Cancelled, outcome.Status);
        Assert.Equal("cancelled", outcome.Reason);
        Assert.Equal(15, outcome.Signal);
        Assert.Empty(Proc.Survivors(pid, wrapper));
        Assert.InRange(outcome.Duration, TimeSpan.Zero, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task The_step_starts_with_no_signal_ignored_and_no_descriptor_but_its_three()
    {
        await using var harness = new StepHarness();

        var execution = await harness.StartAsync(Launch("clean", "/bin/bash", "-c", "grep SigIgn /proc/self/status; ls /proc/self/fd"));
        await EndOf(execution);

        // bash itself opens 255 on its script (here none) and ls its directory: fd 3 is ls's own.
        Assert.Equal(["out SigIgn:\t0000000000000000", "out 0", "out 1", "out 2", "out 3"], OutputLines(execution.LogPath!));
    }

    [Fact]
    public async Task A_bash_environment_reaches_the_step_without_changing_the_wrapper()
    {
        await using var harness = new StepHarness();
        var startup = Path.Combine(harness.Root, "bashenv.sh");
        File.WriteAllText(startup, "echo sourced from BASH_ENV\n");

        var execution = await harness.StartAsync(Launch("bashenv", "/bin/bash", "-c", "echo step") with
        {
            Environment = new Dictionary<string, string> { ["BASH_ENV"] = startup },
        });
        var outcome = await EndOf(execution);

        Assert.True(outcome.Succeeded, outcome.Reason);
        Assert.Equal(["out sourced from BASH_ENV", "out step"], OutputLines(execution.LogPath!));
    }

    [Fact]
    public async Task A_step_killed_by_a_signal_says_which()
    {
        await using var harness = new StepHarness();

        var outcome = await EndOf(await harness.StartAsync(Launch("crash", "/bin/bash", "-c", "kill -SEGV $$")));

        Assert.True(outcome.Status == StepStatus.Failed, $"{outcome.Status}: {outcome.Reason}");
        Assert.Equal(11, outcome.Signal);
        Assert.Equal(139, outcome.ExitCode);
        Assert.Equal("killed by SIGSEGV (exit status 139)", outcome.Reason);
    }

    [Fact]
    public async Task Background_processes_a_step_leaves_behind_are_killed_when_it_ends()
    {
        await using var harness = new StepHarness();
        var pidFile = Path.Combine(harness.Root, "orphan.pid");

        var outcome = await EndOf(await harness.StartAsync(Launch("orphan", "/bin/bash", "-c", $"sleep 30 & echo $! > '{pidFile}'; exit 0")));

        Assert.True(outcome.Succeeded, outcome.Reason);
        var orphan = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.DoesNotContain(Proc.All(), p => p.Pid == orphan && p.State != 'Z');
    }

    [Theory]
    [InlineData("/nonexistent/tool", "could not start: file not found: /nonexistent/tool does not exist (check processor.command)")]
    [InlineData("no-such-tool-fluid", "could not start: file not found: no executable no-such-tool-fluid in the step's PATH (")]
    public async Task A_command_that_does_not_exist_gives_a_clear_reason(string command, string reason)
    {
        await using var harness = new StepHarness();

        var execution = await harness.StartAsync(Launch("missing", command));
        var outcome = await EndOf(execution);

        Assert.Equal(StepStatus.FailedToStart, outcome.Status);
        Assert.StartsWith(reason, outcome.Reason, StringComparison.Ordinal);
        Assert.EndsWith("(check processor.command)", outcome.Reason, StringComparison.Ordinal);
        Assert.Null(execution.ProcessId);
        Assert.Contains("could not start", File.ReadAllText(execution.LogPath!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_cannot_be_executed_gives_a_clear_reason()
    {
        await using var harness = new StepHarness();
        var notExecutable = Path.Combine(harness.Root, "data.txt");
        File.WriteAllText(notExecutable, "not a program");
        var badInterpreter = harness.Script("bad.sh", "");
        File.WriteAllText(badInterpreter, "#!/nonexistent/python\nprint('hi')\n");

        var denied = await EndOf(await harness.StartAsync(Launch("denied", notExecutable)));
        var interpreter = await EndOf(await harness.StartAsync(Launch("interpreter", badInterpreter)));
        var noDirectory = await EndOf(await harness.StartAsync(Launch("nodir", "/bin/true") with { WorkingDirectory = "/nonexistent/dir" }));

        Assert.Equal(StepStatus.FailedToStart, denied.Status);
        Assert.Equal($"could not start: permission denied: {notExecutable} is not executable (chmod +x it, or run it through its interpreter) (check processor.command)", denied.Reason);
        Assert.Equal(StepStatus.FailedToStart, interpreter.Status);
        // bash's words for a missing interpreter vary with its version ("bad interpreter", "required file not found").
        Assert.StartsWith($"could not start: {badInterpreter}: ", interpreter.Reason, StringComparison.Ordinal);
        Assert.EndsWith(" (check processor.command)", interpreter.Reason, StringComparison.Ordinal);
        Assert.InRange(interpreter.ExitCode!.Value, 126, 127);
        Assert.StartsWith("could not start: working directory not found: /nonexistent/dir", noDirectory.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_log_is_readable_while_the_step_runs()
    {
        await using var harness = new StepHarness();
        var go = Path.Combine(harness.Root, "go");
        var script = harness.Script("slow.sh", $"""
            echo "first line"
            echo "a warning" >&2
            while [[ ! -e '{go}' ]]; do sleep 0.02; done
            echo "second line"
            """);

        var execution = await harness.StartAsync(Launch("slow", script));
        await WaitForLogAsync(execution.LogPath!, "err a warning");

        Assert.False(execution.Completion.IsCompleted);
        await WaitForLogAsync(execution.LogPath!, "out first line");
        File.WriteAllText(go, "");
        Assert.True((await EndOf(execution)).Succeeded);
        Assert.Equal("out second line", OutputLines(execution.LogPath!)[^1]);
    }

    [Fact]
    public async Task Attempts_append_to_the_log_each_after_a_header_and_the_tail_covers_the_last_only()
    {
        await using var harness = new StepHarness();

        await EndOf(await harness.StartAsync(Launch("retry", "/bin/bash", "-c", "echo first attempt; exit 1")));
        var execution = await harness.StartAsync(Launch("retry", "/bin/bash", "-c", "echo second attempt") with { Attempt = 2 });
        var outcome = await EndOf(execution);

        Assert.EndsWith("out second attempt", Assert.Single(outcome.LogTail), StringComparison.Ordinal);
        var log = File.ReadAllText(execution.LogPath!);
        Assert.Contains("=== attempt 1 of tests/retry", log, StringComparison.Ordinal);
        Assert.Contains("=== attempt 2 of tests/retry", log, StringComparison.Ordinal);
        Assert.Equal(["out first attempt", "out second attempt"], OutputLines(execution.LogPath!));
    }

    [Fact]
    public async Task A_step_that_still_runs_is_not_started_again()
    {
        await using var harness = new StepHarness();
        var first = harness.NewExecutor();
        var execution = await harness.StartAsync(first, Launch("busy", "/bin/sleep", "30"));

        var again = await Assert.ThrowsAsync<InvalidOperationException>(() => first.StartAsync(Launch("busy", "/bin/sleep", "30"), Cancellation));
        var fromAnother = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.NewExecutor().StartAsync(Launch("busy", "/bin/sleep", "30"), Cancellation));

        Assert.Contains("still runs", again.Message, StringComparison.Ordinal);
        Assert.Contains("re-attach", fromAnother.Message, StringComparison.Ordinal);
        await execution.CancelAsync(Cancellation);
    }

    [Fact]
    public async Task An_invalid_launch_is_refused_with_every_problem()
    {
        await using var harness = new StepHarness();
        var launch = new StepLaunch { Namespace = "../etc", StepName = "ok", RunId = "", NodeName = "node-0", Command = "", Attempt = 0 };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => harness.NewExecutor().StartAsync(launch, Cancellation));

        Assert.Contains("Namespace '../etc' is not a valid name", error.Message, StringComparison.Ordinal);
        Assert.Contains("RunId", error.Message, StringComparison.Ordinal);
        Assert.Contains("Attempt is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("Command is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_name_the_setting()
    {
        var problems = new LocalExecutorOptions { LogsDirectory = "relative/logs", LogTailLines = -1 }.Validate().ToArray();

        Assert.Equal(2, problems.Length);
        Assert.Contains("Fluid:Executor:LogsDirectory", problems[0], StringComparison.Ordinal);
        Assert.Contains("Fluid:Executor:LogTailLines", problems[1], StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (out|err|fluid) ")]
    private static partial Regex LogLine();
}
