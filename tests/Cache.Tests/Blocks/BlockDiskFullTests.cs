using System.Diagnostics;
using Fluid.Aspire.Cache.Blocks;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fluid.Aspire.Cache.Tests.Blocks;

/// <summary>A tier whose quota is more than its disk holds, on a real small tmpfs (mounting it needs root).</summary>
public sealed class BlockDiskFullTests : IAsyncLifetime
{
    private const int BlockSize = 16 * 1024;
    private readonly TemporaryDirectory _root = new();
    private string _disk = "";
    private bool _mounted;

    public async ValueTask InitializeAsync()
    {
        _disk = Path.Combine(_root.Path, "small-disk");
        Directory.CreateDirectory(_disk);
        _mounted = await RunAsync("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", _disk) == 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_mounted)
        {
            await RunAsync("umount", "-l", _disk);
        }

        _root.Dispose();
    }

    [Fact]
    public async Task A_full_disk_evicts_and_the_write_succeeds()
    {
        await using var store = await OpenAsync();
        for (var i = 0; i < 10; i++)
        {
            var block = await store.GetOrFetchAsync(new BlockKey("d", "f", i), BlockSize, Fill, cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(File.Exists(block.Path));
        }

        Assert.True(store.TryGet(new BlockKey("d", "f", 9), out _));
        Assert.False(store.TryGet(new BlockKey("d", "f", 0), out _));
    }

    [Fact]
    public async Task A_full_disk_with_nothing_to_evict_fails_clearly()
    {
        await using var store = await OpenAsync();

        var error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await store.GetOrFetchAsync(new BlockKey("d", "f", i), BlockSize, Fill, new BlockReadOptions { Pin = true }, TestContext.Current.CancellationToken);
            }
        });

        Assert.Contains($"The disk under {_disk} is full", error.Message, StringComparison.Ordinal);
        Assert.Contains("lower the SSD quota in tieredstore.levels, or free space on that disk", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_disk, ".tmp-*", SearchOption.AllDirectories));
    }

    private async Task<TieredBlockStore> OpenAsync()
    {
        Assert.SkipUnless(_mounted, "Mounting a small tmpfs needs root; run the tests as root to check a full disk.");
        var options = new TieredBlockStoreOptions
        {
            BlockSize = BlockSize,
            Levels = [new TieredStoreLevel { MediumType = MediumType.Ssd, Path = _disk, Quota = Quantity.Parse("1Mi") }],
        };
        return await TieredBlockStore.OpenAsync(options, NullLogger.Instance, TestContext.Current.CancellationToken);
    }

    private static ValueTask<int> Fill(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        buffer.Span.Fill(1);
        return ValueTask.FromResult(buffer.Length);
    }

    private static async Task<int> RunAsync(string command, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var process = Process.Start(start)!;
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
