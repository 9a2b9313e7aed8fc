using Fluid.Aspire.Cache.Blocks;
using Fluid.Aspire.Contracts;

namespace Fluid.Aspire.CacheAgent.Caching;

/// <summary>The cache agent's settings, section <c>Fluid:Cache</c>.</summary>
public sealed class CacheAgentOptions
{
    public const string SectionName = "Fluid:Cache";

    /// <summary>Where a MEM level without a path keeps its blocks (a tmpfs).</summary>
    public string MemoryRoot { get; set; } = TieredBlockStoreOptions.DefaultMemoryPath;

    /// <summary>The MEM level of a runtime that names no tiers.</summary>
    public string DefaultMemoryQuota { get; set; } = "1Gi";

    /// <summary>The size of a block, e.g. <c>4Mi</c>.</summary>
    public string BlockSize { get; set; } = "4Mi";

    /// <summary>Seconds after which a dataset's files are listed again: sizes in status are at most this (plus one listing) old.</summary>
    public int ListingTtlSeconds { get; set; } = 60;

    /// <summary>
    /// The Unix socket where the node's steps read datasets through this agent (a path under the node's socket
    /// directory, which step pods mount); none when unset.
    /// </summary>
    public string? Socket { get; set; }

    /// <summary>Where persistent volume claims are mounted on this node, for <c>pvc://</c> mounts; none when unset.</summary>
    public string? PersistentVolumeClaimRoot { get; set; }

    /// <summary>The block size in bytes.</summary>
    public int BlockBytes() => (int)Quantity.ParseBytes(BlockSize);

    /// <summary>The problems with these settings, each naming the setting and how to fix it.</summary>
    public IEnumerable<string> Validate()
    {
        if (!Path.IsPathFullyQualified(MemoryRoot))
        {
            yield return $"{SectionName}:{nameof(MemoryRoot)} is '{MemoryRoot}'; give an absolute directory on a tmpfs, e.g. /dev/shm/fluid-cache.";
        }

        if (!IsSize(DefaultMemoryQuota, 1))
        {
            yield return $"{SectionName}:{nameof(DefaultMemoryQuota)} is '{DefaultMemoryQuota}'; give a size such as 1Gi.";
        }

        if (!IsSize(BlockSize, 4096) || Quantity.ParseBytes(BlockSize) > 256L << 20)
        {
            yield return $"{SectionName}:{nameof(BlockSize)} is '{BlockSize}'; give a size from 4Ki to 256Mi, e.g. 4Mi.";
        }

        if (ListingTtlSeconds is < 1 or > 86_400)
        {
            yield return $"{SectionName}:{nameof(ListingTtlSeconds)} is {ListingTtlSeconds}; use 1 to 86400 (a day), for example 60.";
        }
    }

    private static bool IsSize(string text, long minimum)
    {
        try
        {
            return Quantity.ParseBytes(text) >= minimum;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
