namespace Fluid.Aspire.TestSupport;

/// <summary>Waits for a condition that other processes or background loops make true.</summary>
public static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(
        Func<Task<T>> probe, Func<T, bool> accept, TimeSpan timeout, string expectation, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last;
        do
        {
            last = await probe();
            if (accept(last))
            {
                return last;
            }

            await Task.Delay(100, cancellationToken);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"Expected {expectation} within {timeout.TotalSeconds} s; last seen: {Describe(last)}");
    }

    public static Task<T> ReturnsAsync<T>(
        Func<T> probe, Func<T, bool> accept, TimeSpan timeout, string expectation, CancellationToken cancellationToken) =>
        ReturnsAsync(() => Task.FromResult(probe()), accept, timeout, expectation, cancellationToken);

    private static string Describe<T>(T value) =>
        value is System.Collections.IEnumerable items and not string
            ? $"[{string.Join(", ", items.Cast<object>())}]"
            : value?.ToString() ?? "null";
}
