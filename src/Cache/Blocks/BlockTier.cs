using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Serialization;

namespace Fluid.Aspire.Cache.Blocks;

/// <summary>The use of one tier, guarded by the store's lock.</summary>
internal sealed class BlockTier(TierSettings settings)
{
    private readonly Dictionary<string, long> _usedByDirectory = settings.Directories.ToDictionary(d => d, _ => 0L);

    public TierSettings Settings { get; } = settings;

    public long Used { get; private set; }

    public int Blocks { get; private set; }

    public bool HasRoomFor(long length) => Used + length <= Settings.Quota;

    public void Add(BlockEntry entry)
    {
        Used += entry.Length;
        Blocks++;
        _usedByDirectory[entry.Directory] += entry.Length;
    }

    public void Remove(BlockEntry entry)
    {
        Used -= entry.Length;
        Blocks--;
        _usedByDirectory[entry.Directory] -= entry.Length;
    }

    /// <summary>
    /// The directory for a block: the one this tier uses least among those whose file system has room for it, so
    /// blocks spread evenly; with equal use, the one with the most free space.
    /// </summary>
    public string ChooseDirectory(long length)
    {
        if (Settings.Directories.Count == 1)
        {
            return Settings.Directories[0];
        }

        var free = Settings.Directories.ToDictionary(d => d, d => new DriveInfo(d).AvailableFreeSpace);
        var candidates = Settings.Directories.Where(d => free[d] >= length).DefaultIfEmpty(Settings.Directories[0]);
        return candidates.OrderBy(d => _usedByDirectory[d]).ThenByDescending(d => free[d]).First();
    }

    public override string ToString() =>
        $"{EnumNames.Of(Settings.Medium)} ({string.Join(",", Settings.Directories)}): {Quantity.FormatBytes(Used)} of {Quantity.FormatBytes(Settings.Quota)} in {Blocks} blocks";
}
