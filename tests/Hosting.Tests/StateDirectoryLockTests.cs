using Aspire.Hosting;
using Fluid.Aspire.Hosting.Lifetime;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>One stack per state directory: a second one fails at once, naming the first and how to run both.</summary>
public sealed class StateDirectoryLockTests
{
    [Fact]
    public void A_held_directory_is_refused_with_its_holder_until_released()
    {
        using var state = new TemporaryDirectory();

        var first = StateDirectoryLock.Acquire(state.Path);
        var refused = Assert.Throws<DistributedApplicationException>(() => StateDirectoryLock.Acquire(state.Path));
        first.Dispose();
        using var again = StateDirectoryLock.Acquire(state.Path);

        Assert.Contains($"Another stack is running on the state directory {state.Path} (process {Environment.ProcessId}, ", refused.Message, StringComparison.Ordinal);
        Assert.Contains("./run.sh --state-dir DIR", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_AppHost_on_a_held_state_directory_exits_at_once_with_the_message()
    {
        using var state = new TemporaryDirectory();
        using var held = StateDirectoryLock.Acquire(state.Path);

        var (exitCode, output, message) = await AppHostRun.UntilExitAsync(["--Fluid:Once=true", $"--Fluid:StateDirectory={state.Path}"]);

        Assert.True(exitCode == 2, message);
        Assert.StartsWith($"error: Another stack is running on the state directory {state.Path} (process {Environment.ProcessId}, ", message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Starting DCP", output, StringComparison.Ordinal);
    }
}
