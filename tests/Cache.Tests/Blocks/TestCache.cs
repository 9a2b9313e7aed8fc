using System.IO.Hashing;
using System.Text;
using Fluid.Aspire.Cache.Blocks;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Aspire.Cache.Tests.Blocks;

/// <summary>A block store in a test's own directory, with an under storage that counts its fetches.</summary>
internal sealed class TestCache : IAsyncDisposable
{
    public const string Dataset = "default/mnist";

    private readonly TemporaryDirectory _root = new();
    private int _fetches;

    public TieredBlockStoreOptions Options { get; private set; } = new();

    public TieredBlockStore Store { get; private set; } = null!;

    /// <summary>How many fetches ran.</summary>
    public int Fetches => Volatile.Read(ref _fetches);

    public string Root => _root.Path;

    /// <summary>A store whose tiers are directories under the test's directory, named after their medium.</summary>
    public static async Task<TestCache> OpenAsync(int blockSize, params Level[] levels)
    {
        var cache = new TestCache();
        cache.Options = new TieredBlockStoreOptions
        {
            BlockSize = blockSize,
            Levels = [.. levels.Select(l => l.ToLevel(cache.Root))],
        };
        cache.Store = await TieredBlockStore.OpenAsync(cache.Options, NullLogger.Instance, TestContext.Current.CancellationToken);
        return cache;
    }

    /// <summary>Closes the store and opens it again on the same directories, as an agent's restart does.</summary>
    public async Task ReopenAsync(int? blockSize = null)
    {
        await Store.DisposeAsync();
        Options = new TieredBlockStoreOptions { BlockSize = blockSize ?? Options.BlockSize, Levels = Options.Levels };
        Store = await TieredBlockStore.OpenAsync(Options, NullLogger.Instance, TestContext.Current.CancellationToken);
    }

    public static BlockKey Key(long index, string fileId = "file", string dataset = Dataset) => new(dataset, fileId, index);

    /// <summary>The bytes the under storage holds for a block: the same for a key every time.</summary>
    public static byte[] Contents(BlockKey key, int length)
    {
        var contents = new byte[length];
        new Random((int)XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(key.ToString()))).NextBytes(contents);
        return contents;
    }

    /// <summary>A fetch of the block's <see cref="Contents"/>, counted.</summary>
    public Func<Memory<byte>, CancellationToken, ValueTask<int>> Fetch(BlockKey key, int length) => (buffer, _) =>
    {
        Interlocked.Increment(ref _fetches);
        Contents(key, length).CopyTo(buffer);
        return ValueTask.FromResult(length);
    };

    /// <summary>Reads the block through the cache, fetching it if need be.</summary>
    public ValueTask<CachedBlock> GetAsync(BlockKey key, int length, BlockReadOptions? options = null) =>
        Store.GetOrFetchAsync(key, length, Fetch(key, length), options, TestContext.Current.CancellationToken);

    public string TierDirectory(MediumType medium) => Path.Combine(Root, EnumNamesOf(medium));

    /// <summary>Bytes of complete block files under a directory, as the file system has them.</summary>
    public static long BlockBytesOnDisk(string directory) =>
        BlockFiles(directory).Sum(f => new FileInfo(f).Length);

    public static IEnumerable<string> BlockFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && Path.GetFileName(f) != "pins.json");

    public async ValueTask DisposeAsync()
    {
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }

        _root.Dispose();
    }

    private static string EnumNamesOf(MediumType medium) => Contracts.Serialization.EnumNames.Of(medium).ToLowerInvariant();

    /// <summary>A tier of the test: its medium, quota, watermarks, and how many directories it spreads over.</summary>
    public sealed record Level(MediumType Medium, string Quota, string? High = null, string? Low = null, int Directories = 1)
    {
        public TieredStoreLevel ToLevel(string root) => new()
        {
            MediumType = Medium,
            Quota = Quantity.Parse(Quota),
            High = High,
            Low = Low,
            Path = string.Join(",", Enumerable.Range(0, Directories).Select(i => Path.Combine(root, EnumNamesOf(Medium) + (i == 0 ? "" : $"{i}")))),
        };
    }
}
