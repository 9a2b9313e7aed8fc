using System.Globalization;
using Fluid.Aspire.Samples.LinearRegression.Data;
using Fluid.Sdk;

namespace Fluid.Aspire.Samples.LinearRegression.Pipeline;

/// <summary>
/// The object store memory a run asks of each node (the runtime's MEM quota): what the tables the steps hand on
/// need, checked against what this machine can spare and what a node's object store holds, so that a run that cannot
/// fit says so before it starts rather than failing halfway.
/// </summary>
public static class CacheCapacity
{
    private const long MiB = 1L << 20;

    /// <summary>Quotas are whole multiples of this, and never less.</summary>
    public const long Granule = 64 * MiB;

    /// <summary>
    /// The bytes of the tables a run hands on: the synthetic table's doubles, or for a CSV twice its size (a number
    /// written in a CSV takes about as many characters as a double takes bytes; one-hot columns add to it). A URL's
    /// size is <paramref name="remoteInputBytes"/>, what its dataset's listing found; unknown (before a stack lists
    /// it), it counts as nothing, and the run sizes it once listed.
    /// </summary>
    public static long EstimateDataBytes(PipelineOptions options, long? remoteInputBytes = null) =>
        options.IsRemoteInput ? 2 * (remoteInputBytes ?? 0)
        : options.Input is { } input ? 2 * new FileInfo(input).Length
        : (long)options.Rows * (SyntheticHousing.Features.Count + 1) * sizeof(double);

    /// <summary>The quota per node, in bytes.</summary>
    /// <param name="dataBytes">What the steps hand on (<see cref="EstimateDataBytes"/>).</param>
    /// <param name="availableBytes">Memory this machine can give (<see cref="AvailableMemoryBytes"/>).</param>
    /// <param name="replicas">The runtime's workers; simulated nodes all live on this machine.</param>
    /// <param name="storeCapacityBytes">What one node's object store holds, when known.</param>
    /// <exception cref="InvalidOperationException">The data cannot fit; the message says what to change.</exception>
    public static long Plan(long dataBytes, long availableBytes, int replicas, long? storeCapacityBytes)
    {
        // A node holds what its steps put and what they fetch from the other node: at most the whole table once,
        // plus a quarter for the model, the reports and the allocator's rounding.
        var needed = Math.Max(Granule, (dataBytes + (dataBytes / 4) + Granule - 1) / Granule * Granule);
        // The steps keep their own arrays of the table beside the store's copy: half of the memory is theirs.
        var spare = availableBytes / 2 / Math.Max(1, replicas);
        if (needed > spare)
        {
            throw new InvalidOperationException(
                $"The data needs about {Format(needed)} of object store memory on each of {replicas} node(s), and this machine can spare " +
                $"{Format(spare)} per node ({Format(availableBytes)} available). Use fewer --rows or a smaller --input, or set --cache-capacity.");
        }

        if (storeCapacityBytes is { } capacity && needed > capacity)
        {
            throw new InvalidOperationException(
                $"The data needs about {Format(needed)} of object store memory on each node, and the nodes' object stores hold {Format(capacity)}. " +
                $"Start the stack with stores that large (./run.sh --store-memory {Quantity(needed)}), use fewer --rows, or set --cache-capacity.");
        }

        return needed;
    }

    /// <summary>
    /// The quota per node in GiB: <see cref="PipelineOptions.CacheCapacityGiB"/> when set (checked against the stack's
    /// object store), else planned against this machine and the stack's object store.
    /// </summary>
    public static Task<double> ForRunAsync(FluidClient client, PipelineOptions options, CancellationToken cancellationToken) =>
        ForRunAsync(client, options, remoteInputBytes: null, cancellationToken);

    /// <inheritdoc cref="ForRunAsync(FluidClient, PipelineOptions, CancellationToken)"/>
    /// <param name="client">The stack's client.</param>
    /// <param name="options">The run.</param>
    /// <param name="remoteInputBytes">The size of a URL input, as its dataset's listing found it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static async Task<double> ForRunAsync(FluidClient client, PipelineOptions options, long? remoteInputBytes, CancellationToken cancellationToken)
    {
        await using var store = await client.ConnectObjectStoreAsync(cancellationToken);
        var stats = await store.GetStatsAsync(cancellationToken);
        return options.CacheCapacityGiB is { } chosen
            ? Chosen(chosen, stats.Capacity)
            : ToGiB(Plan(EstimateDataBytes(options, remoteInputBytes), AvailableMemoryBytes(), options.Replicas, stats.Capacity));
    }

    /// <summary>A quota the user chose, if a node's object store can hold it.</summary>
    /// <exception cref="InvalidOperationException">It cannot; the message gives both sizes and what to change.</exception>
    public static double Chosen(double quotaGiB, long storeCapacityBytes)
    {
        var asked = (long)Math.Ceiling(quotaGiB * (1L << 30));
        return asked <= storeCapacityBytes
            ? quotaGiB
            : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"--cache-capacity {quotaGiB} asks {Format(asked)} of each node's object store, and the stores hold {Format(storeCapacityBytes)}. ") +
                $"Ask for less, or start the stack with stores that large (./run.sh --store-memory {Quantity(asked)}).");
    }

    /// <summary>A size as the stack's settings take it (<c>./run.sh --store-memory</c>, <c>Fluid:ObjectStoreMemory</c>): whole MiB, e.g. <c>1536Mi</c>.</summary>
    public static string Quantity(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{(bytes + MiB - 1) / MiB}Mi");

    /// <summary>The memory this machine can give without swapping: MemAvailable on Linux, else what the GC may use.</summary>
    public static long AvailableMemoryBytes()
    {
        const string meminfo = "/proc/meminfo";
        var line = File.Exists(meminfo) ? File.ReadLines(meminfo).FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal)) : null;
        return line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var kib, "kB"]
            ? long.Parse(kib, CultureInfo.InvariantCulture) * 1024
            : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    public static double ToGiB(long bytes) => (double)bytes / (1L << 30);

    private static string Format(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{(double)bytes / MiB:N0} MiB");
}
