using System.Diagnostics;

namespace Fluid.Aspire.Benchmarks.ObjectStore;

/// <summary>Timing and summary statistics.</summary>
internal static class Measure
{
    public const double GB = 1e9;

    public static double Seconds(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public static async Task<double> SecondsAsync(Func<Task> action)
    {
        var start = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Runs an operation over and over for <paramref name="duration"/>, untimed.</summary>
    public static async Task WarmUpAsync(Func<Task> operation, TimeSpan duration)
    {
        var start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < duration)
        {
            await operation();
        }
    }

    /// <summary>Operations per second over <paramref name="count"/> runs in a row.</summary>
    public static async Task<double> RateAsync(Func<Task> operation, int count)
    {
        return count / await SecondsAsync(() => RepeatAsync(operation, count));
    }

    /// <summary>
    /// The rates of two operations measured in alternating blocks of a few milliseconds each, so that both see the
    /// same moments of a machine whose speed changes from one second to the next.
    /// </summary>
    public static async Task<(double RateA, double RateB)> InterleavedRatesAsync(
        Func<Task> a, int countA, Func<Task> b, int countB, int blocks)
    {
        double secondsA = 0, secondsB = 0;
        for (var block = 0; block < blocks; block++)
        {
            secondsA += await SecondsAsync(() => RepeatAsync(a, countA / blocks));
            secondsB += await SecondsAsync(() => RepeatAsync(b, countB / blocks));
        }

        return (countA / blocks * blocks / secondsA, countB / blocks * blocks / secondsB);
    }

    private static async Task RepeatAsync(Func<Task> operation, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await operation();
        }
    }

    /// <summary>
    /// Collects this process's garbage now, so that a collection of what earlier parts left behind does not run
    /// beside a timed part and take one of the machine's two cores from it.
    /// </summary>
    public static void SettleGarbage()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    public static double Median(IReadOnlyList<double> values) => Percentile(values, 0.5);

    public static double Percentile(IReadOnlyList<double> values, double fraction)
    {
        var sorted = values.Order().ToArray();
        var rank = fraction * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    public static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
