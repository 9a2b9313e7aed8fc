using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Store;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.TestSupport;

/// <summary>
/// Waits for a condition that other processes or background loops make true. State that a loop writes (a
/// reconciler's status, the events it records) is asserted on by waiting for it on that very object: never by
/// reading it once after waiting for something else, which says nothing about when that loop gets to write it.
/// </summary>
public static class Eventually
{
    /// <summary>How long a controller's loop may take to write what a test waits for, on a loaded machine.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <param name="describe">How the last value seen reads in the failure message; ToString (or the items of a list) if null.</param>
    public static async Task<T> ReturnsAsync<T>(
        Func<Task<T>> probe, Func<T, bool> accept, TimeSpan timeout, string expectation, CancellationToken cancellationToken,
        Func<T, string>? describe = null)
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

        throw new TimeoutException($"Expected {expectation} within {timeout.TotalSeconds} s; last seen: {(describe ?? Describe)(last)}");
    }

    public static Task<T> ReturnsAsync<T>(
        Func<T> probe, Func<T, bool> accept, TimeSpan timeout, string expectation, CancellationToken cancellationToken) =>
        ReturnsAsync(() => Task.FromResult(probe()), accept, timeout, expectation, cancellationToken);

    /// <summary>
    /// Waits until the resource <paramref name="name"/> (default namespace) exists and satisfies
    /// <paramref name="accept"/>, and returns it; the failure message shows the resource as last read.
    /// </summary>
    public static async Task<T> ResourceAsync<T>(
        IResourceStore store, string name, Func<T, bool> accept, string expectation, CancellationToken cancellationToken)
        where T : Resource
    {
        var resource = await ReturnsAsync(
            () => store.GetAsync<T>(name, cancellationToken: cancellationToken),
            found => found is not null && accept(found),
            Patience,
            $"{typeof(T).Name} {name}: {expectation}",
            cancellationToken,
            found => found is null ? "not found" : ResourceJson.Serialize(found));
        return resource!;
    }

    /// <summary>
    /// Waits until Kubernetes' Events about the object <paramref name="name"/> (any kind, any namespace, selected by
    /// the API server) satisfy <paramref name="accept"/>, and returns them.
    /// </summary>
    public static Task<Corev1Event[]> EventsAsync(
        k8s.Kubernetes kubernetes, string name, Func<Corev1Event[], bool> accept, string expectation, CancellationToken cancellationToken) =>
        ReturnsAsync(
            async () => (await kubernetes.CoreV1.ListEventForAllNamespacesAsync(fieldSelector: $"involvedObject.name={name}", cancellationToken: cancellationToken)).Items.ToArray(),
            accept,
            Patience,
            $"events of {name}: {expectation}",
            cancellationToken,
            events => $"[{string.Join("; ", events.Select(e => $"{e.Type} {e.Reason}: {e.Message}"))}]");

    private static string Describe<T>(T value) =>
        value is System.Collections.IEnumerable items and not string
            ? $"[{string.Join(", ", items.Cast<object>())}]"
            : value?.ToString() ?? "null";
}
