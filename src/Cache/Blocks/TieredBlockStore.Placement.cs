using System.Buffers;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Serialization;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cache.Blocks;

// Placing blocks and freeing tiers. Everything here runs holding _changes, the only place where the index and the
// tiers' use change, so it reads them freely and takes _gate only to change them (readers look under _gate).
public sealed partial class TieredBlockStore
{
    /// <summary>Writes a fetched block into the fastest tier with room, then frees that tier if it passed its high watermark.</summary>
    private async Task<BlockEntry> PlaceAsync(BlockKey key, BlockAddress address, ReadOnlyMemory<byte> contents, CancellationToken cancellationToken)
    {
        var checksum = BlockLayout.Checksum(contents.Span);
        await _changes.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var tier = await TierWithRoomAsync(key, contents.Length, cancellationToken);
                var entry = new BlockEntry(address, contents.Length, checksum, tier, tier.ChooseDirectory(contents.Length), verified: true);
                try
                {
                    await BlockFiles.WriteAsync(entry.Path, contents, cancellationToken);
                }
                catch (IOException e) when (BlockFiles.IsDiskFull(e))
                {
                    var medium = EnumNames.Of(tier.Settings.Medium);
                    if (attempt > 1)
                    {
                        throw new IOException(
                            $"The disk under {entry.Directory} is full: block {key} could not be written to the {medium} tier even after evicting from it ({tier}). " +
                            $"The tier's quota is more than the disk holds: lower the {medium} quota in tieredstore.levels, or free space on that disk.", e);
                    }

                    _logger.LogWarning("The disk under {Directory} is full below the {Medium} tier's quota ({Tier}); evicting and trying once more.", entry.Directory, medium, tier);
                    await FreeAsync(tier, Math.Max(0, Math.Min(tier.Settings.Low, tier.Used - contents.Length)), cancellationToken);
                    continue;
                }

                BlockEntry? replaced;
                lock (_gate)
                {
                    replaced = _blocks.GetValueOrDefault(address);
                    Index(entry);
                    entry.LastUse = ++_clock;
                }

                if (replaced is not null && replaced.Path != entry.Path)
                {
                    BlockFiles.TryDelete(replaced.Path);
                }

                await KeepBelowHighAsync(tier, cancellationToken);
                return entry;
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>The fastest tier with room for a block, freeing tiers if none has; never a tier that would pass its quota.</summary>
    private async Task<BlockTier> TierWithRoomAsync(BlockKey key, int length, CancellationToken cancellationToken)
    {
        if (_tiers.FirstOrDefault(t => t.HasRoomFor(length)) is { } withRoom)
        {
            return withRoom;
        }

        foreach (var tier in _tiers)
        {
            await FreeAsync(tier, tier.Settings.Quota - length, cancellationToken);
            if (tier.HasRoomFor(length))
            {
                return tier;
            }
        }

        var pinned = _blocks.Values.Where(e => _pins.Contains(e.Address)).CountBy(e => e.Tier).ToDictionary();
        var tiers = string.Join("; ", _tiers.Select(t => $"{t}, {pinned.GetValueOrDefault(t)} pinned"));
        throw new IOException(
            $"No tier has room for block {key} ({Quantity.FormatBytes(length)}) even after evicting every unpinned block: {tiers}. " +
            "Unpin files that need not stay cached (a DataLoad's data), evict a dataset, or raise a quota in tieredstore.levels.");
    }

    private async Task KeepBelowHighAsync(BlockTier tier, CancellationToken cancellationToken)
    {
        if (tier.Used > tier.Settings.High)
        {
            await FreeAsync(tier, tier.Settings.Low, cancellationToken);
        }
    }

    /// <summary>
    /// Frees a tier down to <paramref name="target"/> bytes, least recently used unpinned blocks first: each moves to
    /// the next slower tier when that has (or can make) room, and is evicted otherwise.
    /// </summary>
    private async Task FreeAsync(BlockTier tier, long target, CancellationToken cancellationToken)
    {
        if (tier.Used <= target)
        {
            return;
        }

        List<BlockEntry> victims;
        lock (_gate)
        {
            victims = [.. _blocks.Values.Where(e => e.Tier == tier && !_pins.Contains(e.Address)).OrderBy(e => e.LastUse)];
        }

        var slower = _tiers.SkipWhile(t => t != tier).Skip(1).FirstOrDefault();
        var (moved, evicted) = (0, 0);
        foreach (var victim in victims)
        {
            if (tier.Used <= target)
            {
                break;
            }

            if (!IsCurrent(victim))
            {
                continue;
            }

            if (slower is not null && await MoveDownAsync(victim, slower, cancellationToken))
            {
                moved++;
            }
            else
            {
                lock (_gate)
                {
                    Unindex(victim);
                }

                BlockFiles.TryDelete(victim.Path);
                evicted++;
            }
        }

        if (moved + evicted > 0)
        {
            _logger.LogInformation("Freed the {Medium} tier: moved {Moved} blocks to a slower tier, evicted {Evicted}; now {Tier}.", EnumNames.Of(tier.Settings.Medium), moved, evicted, tier);
        }

        if (slower is not null)
        {
            await KeepBelowHighAsync(slower, cancellationToken);
        }
    }

    /// <summary>Copies a block into a slower tier (checking it on the way) and indexes it there; false when it cannot.</summary>
    private async Task<bool> MoveDownAsync(BlockEntry victim, BlockTier slower, CancellationToken cancellationToken)
    {
        if (!slower.HasRoomFor(victim.Length))
        {
            await FreeAsync(slower, Math.Min(slower.Settings.Low, slower.Settings.Quota - victim.Length), cancellationToken);
            if (!slower.HasRoomFor(victim.Length))
            {
                return false;
            }
        }

        var buffer = ArrayPool<byte>.Shared.Rent(victim.Length);
        try
        {
            var contents = buffer.AsMemory(0, victim.Length);
            if (!await BlockFiles.TryReadAsync(victim.Path, contents, victim.Checksum, cancellationToken))
            {
                return false;
            }

            var moved = new BlockEntry(victim.Address, victim.Length, victim.Checksum, slower, slower.ChooseDirectory(victim.Length), verified: true);
            try
            {
                await BlockFiles.WriteAsync(moved.Path, contents, cancellationToken);
            }
            catch (IOException e) when (BlockFiles.IsDiskFull(e))
            {
                _logger.LogWarning("The disk under {Directory} is full below the {Medium} tier's quota ({Tier}); evicting a block instead of moving it there.", moved.Directory, EnumNames.Of(slower.Settings.Medium), slower);
                return false;
            }

            lock (_gate)
            {
                victim.Verified = true;
                moved.LastUse = victim.LastUse;
                Index(moved);
            }

            BlockFiles.TryDelete(victim.Path);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
