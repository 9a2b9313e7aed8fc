using Fluid.Aspire.Cache.UnderStorage;
using Fluid.Aspire.Contracts.Datasets;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Aspire.Cache.Tests.UnderStorage;

/// <summary>What the connector tests share: quick retries, and the factory as the agent will call it.</summary>
internal static class TestStorage
{
    public static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Two retries 10 ms apart at first: the retry paths run without slowing the tests.</summary>
    public static UnderStorageOptions QuickRetries(TimeSpan? requestTimeout = null) => new()
    {
        RetryAttempts = 2,
        FirstBackoff = TimeSpan.FromMilliseconds(10),
        RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(20),
    };

    public static IUnderStorage Create(string mountPoint, Dictionary<string, string>? options = null, Dictionary<string, string>? secrets = null,
        UnderStorageOptions? storageOptions = null) =>
        UnderStorageFactory.Create(new Mount { MountPoint = mountPoint, Options = options ?? [] }, secrets ?? [], storageOptions ?? QuickRetries(),
            NullLoggerFactory.Instance);

    public static async Task<List<UfsFile>> ListAllAsync(IUnderStorage storage) =>
        [.. (await storage.ListAsync(Cancellation).ToListAsync(Cancellation)).OrderBy(f => f.Path, StringComparer.Ordinal)];

    public static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Cancellation);
        return copy.ToArray();
    }
}
