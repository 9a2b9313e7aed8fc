using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Xunit.v3;

namespace Fluid.Aspire.TestSupport;

/// <summary>
/// Writes a line of test output every <see cref="Interval"/> while a test runs. xunit v3's VSTest adapter reads the
/// test process's messages on a thread of its own and, once the process has exited, calls it crashed ("Test process
/// crashed with exit code 0") if it has read no message for 60 s, although the last results may still wait unread in
/// the pipe: a test that runs silently for over a minute and finishes last loses its result and fails the run. Test
/// output is a message, so a long test is never silent that long.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class HeartbeatAttribute : BeforeAfterTestAttribute
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(20);

    private readonly ConcurrentDictionary<string, Timer> _timers = new(StringComparer.Ordinal);

    public override void Before(MethodInfo methodUnderTest, IXunitTest test)
    {
        if (TestContext.Current.TestOutputHelper is not { } output)
        {
            return;
        }

        var started = Stopwatch.StartNew();
        var timer = new Timer(_ => Beat(output, started.Elapsed), null, Interval, Interval);
        if (!_timers.TryAdd(test.UniqueID, timer))
        {
            timer.Dispose();
        }
    }

    public override void After(MethodInfo methodUnderTest, IXunitTest test)
    {
        if (_timers.TryRemove(test.UniqueID, out var timer))
        {
            // Waits for a beat in progress, so that none is written once the test has ended.
            using var done = new ManualResetEvent(false);
            timer.Dispose(done);
            done.WaitOne();
        }
    }

    private static void Beat(ITestOutputHelper output, TimeSpan elapsed)
    {
        try
        {
            output.WriteLine($"[{DateTimeOffset.Now:HH:mm:ss}] still running after {elapsed.TotalSeconds:F0} s");
        }
        catch (InvalidOperationException)
        {
            // The test has just ended.
        }
    }
}
