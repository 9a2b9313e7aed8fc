using System.Globalization;
using Fluid.Aspire.Cache.Blocks;
using Fluid.Aspire.Cache.UnderStorage;

namespace Fluid.Aspire.Cache.Reading;

/// <summary>One file of a dataset, as last listed or stat'ed.</summary>
/// <param name="Path">Its path in the dataset's tree, e.g. <c>/sales/2024/jan.csv</c>.</param>
/// <param name="Length">Its size in bytes.</param>
/// <param name="Version">Its version in the under storage (see <see cref="UfsFile.Version"/>); null when the source gives none.</param>
/// <param name="LastModified">When it was last written, when the source says.</param>
public sealed record DatasetFile(string Path, long Length, string? Version, DateTimeOffset? LastModified)
{
    /// <summary>
    /// The id of this version's blocks in the block store (<see cref="BlockKey.FileIdOf"/> of the path and version, or
    /// the length when there is no version), so that a changed file never reads the blocks of the old one.
    /// </summary>
    public string FileId { get; } = BlockKey.FileIdOf(Path, Version ?? string.Create(CultureInfo.InvariantCulture, $"length {Length}"));

    internal DatasetMount Mount { get; init; } = null!;

    internal UfsFile Source { get; init; } = null!;
}
