using System.Globalization;
using Fluid.Aspire.Contracts.Serialization;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cache.Blocks;

// What a restart does: re-index the block files from their names, remove debris, check contents in the background.
public sealed partial class TieredBlockStore
{
    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var found = new List<(BlockEntry Entry, DateTime Written)>();
        var (unfinished, unreadable) = (0, 0);
        foreach (var tier in _tiers)
        {
            foreach (var directory in tier.Settings.Directories)
            {
                await CheckBlockSizeAsync(directory, cancellationToken);
                foreach (var datasetDirectory in Directory.EnumerateDirectories(directory).Where(d => BlockLayout.IsDatasetDirectory(Path.GetFileName(d))))
                {
                    unfinished += DeleteAll(Directory.EnumerateFiles(datasetDirectory, BlockLayout.TempPrefix + "*"));
                    foreach (var fileDirectory in Directory.EnumerateDirectories(datasetDirectory))
                    {
                        var fileId = Path.GetFileName(fileDirectory);
                        foreach (var file in Directory.EnumerateFiles(fileDirectory))
                        {
                            var name = Path.GetFileName(file);
                            if (name.StartsWith(BlockLayout.TempPrefix, StringComparison.Ordinal))
                            {
                                unfinished += DeleteAll([file]);
                            }
                            else if (BlockLayout.IsFileId(fileId)
                                && BlockLayout.TryParse(name, out var index, out var length, out var checksum)
                                && length <= BlockSize
                                && new FileInfo(file).Length == length
                                && new BlockAddress(Path.GetFileName(datasetDirectory), fileId, index) is var address
                                && !_blocks.ContainsKey(address))
                            {
                                var entry = new BlockEntry(address, length, checksum, tier, directory, verified: false);
                                Index(entry);
                                found.Add((entry, File.GetLastWriteTimeUtc(file)));
                            }
                            else
                            {
                                // Short, foreign, or a second copy left by a crash while moving it to a slower tier.
                                unreadable += DeleteAll([file]);
                            }
                        }

                        if (!Directory.EnumerateFileSystemEntries(fileDirectory).Any())
                        {
                            Directory.Delete(fileDirectory);
                        }
                    }
                }
            }
        }

        // Without access times (file systems mount noatime), the order blocks were written in stands for their use.
        foreach (var (entry, _) in found.OrderBy(f => f.Written))
        {
            entry.LastUse = ++_clock;
        }

        _pins.Load(_tiers.SelectMany(t => t.Settings.Directories), _logger);
        _logger.LogInformation(
            "Opened the block cache ({BlockSize} bytes a block): {Tiers}; removed {Unfinished} unfinished and {Unreadable} unusable block files; checking {Found} blocks in the background.",
            BlockSize, string.Join("; ", _tiers), unfinished, unreadable, found.Count);

        await _changes.WaitAsync(cancellationToken);
        try
        {
            foreach (var tier in _tiers)
            {
                await KeepBelowHighAsync(tier, cancellationToken);
                if (tier.Used > tier.Settings.Quota)
                {
                    _logger.LogWarning("The {Medium} tier holds more pinned blocks than its quota allows ({Tier}): raise its quota or unpin files.", EnumNames.Of(tier.Settings.Medium), tier);
                }
            }
        }
        finally
        {
            _changes.Release();
        }

        _verification = Task.Run(() => VerifyAllAsync(_lifetime.Token), CancellationToken.None);
    }

    /// <summary>
    /// Blocks cut with another block size would be read at the wrong offsets: a directory holding such blocks is
    /// emptied (pins stay, they name files). The size is recorded in the directory.
    /// </summary>
    private async Task CheckBlockSizeAsync(string directory, CancellationToken cancellationToken)
    {
        var marker = Path.Combine(directory, BlockLayout.LayoutFile);
        var expected = string.Create(CultureInfo.InvariantCulture, $"blockSize={BlockSize}\n");
        var recorded = File.Exists(marker) ? await File.ReadAllTextAsync(marker, cancellationToken) : null;
        if (recorded == expected)
        {
            return;
        }

        if (recorded is not null)
        {
            _logger.LogWarning("The blocks in {Directory} were cut with another block size ({Recorded}); removing them.", directory, recorded.Trim());
            foreach (var datasetDirectory in Directory.EnumerateDirectories(directory).Where(d => BlockLayout.IsDatasetDirectory(Path.GetFileName(d))))
            {
                foreach (var fileDirectory in Directory.EnumerateDirectories(datasetDirectory))
                {
                    Directory.Delete(fileDirectory, recursive: true);
                }
            }
        }

        var temporary = Path.Combine(directory, BlockLayout.TempFileName());
        await File.WriteAllTextAsync(temporary, expected, cancellationToken);
        File.Move(temporary, marker, overwrite: true);
    }

    /// <summary>Checks every block found at open, so that each is served (by <see cref="TryGet"/> too) without waiting for a reader to check it.</summary>
    private async Task VerifyAllAsync(CancellationToken cancellationToken)
    {
        List<BlockEntry> pending;
        lock (_gate)
        {
            pending = [.. _blocks.Values.Where(e => !e.Verified)];
        }

        if (pending.Count == 0)
        {
            return;
        }

        try
        {
            foreach (var entry in pending)
            {
                bool current;
                lock (_gate)
                {
                    current = IsCurrent(entry);
                }

                if (current)
                {
                    await EnsureVerifiedAsync(entry, cancellationToken);
                }
            }

            _logger.LogInformation("Checked the {Count} blocks found at open; {Valid} are valid.", pending.Count, pending.Count(e => e.Verified));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed: the next open checks again.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Stopped checking the blocks found at open ({Reason}); the rest are checked when first read.", e.Message);
        }
    }

    private static int DeleteAll(IEnumerable<string> files)
    {
        var count = 0;
        foreach (var file in files)
        {
            BlockFiles.TryDelete(file);
            count++;
        }

        return count;
    }
}
