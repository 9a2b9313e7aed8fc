using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.RegularExpressions;

namespace Fluid.Aspire.Cache.Blocks;

/// <summary>
/// Where blocks live in a tier directory: <c>{dir}/{datasetHash}/{fileId}/{index}-{length}-{checksum}</c>, the
/// checksum being the XxHash3 of the contents in hex, so that a restart re-indexes from names alone and verifies
/// contents. Files being written are named <c>.tmp-*</c> in the same directory and renamed when complete.
/// </summary>
internal static partial class BlockLayout
{
    /// <summary>The file in each tier directory recording the block size its blocks were cut with.</summary>
    public const string LayoutFile = ".fluid-blocks";

    /// <summary>The file in a dataset's directory listing its pinned files.</summary>
    public const string PinsFile = "pins.json";

    public const string TempPrefix = ".tmp-";

    /// <summary>The directory name of a dataset: its id may hold any character, a hash of it holds none that matter.</summary>
    public static string DatasetDirectory(string datasetId) =>
        Convert.ToHexStringLower(XxHash64.Hash(Encoding.UTF8.GetBytes(datasetId)));

    public static bool IsDatasetDirectory(string name) => DatasetDirectoryName().IsMatch(name);

    public static bool IsFileId(string fileId) => FileIdName().IsMatch(fileId);

    public static ulong Checksum(ReadOnlySpan<byte> contents) => XxHash3.HashToUInt64(contents);

    public static string BlockFileName(long index, int length, ulong checksum) =>
        string.Create(CultureInfo.InvariantCulture, $"{index}-{length}-{checksum:x16}");

    public static string TempFileName() => $"{TempPrefix}{Guid.NewGuid():N}";

    /// <summary>Reads a block file's name; false for any name <see cref="BlockFileName"/> does not write.</summary>
    public static bool TryParse(string name, out long index, out int length, out ulong checksum)
    {
        index = 0;
        length = 0;
        checksum = 0;
        var parts = name.Split('-');
        return parts.Length == 3
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out length)
            && length > 0
            && parts[2].Length == 16
            && ulong.TryParse(parts[2], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out checksum)
            && BlockFileName(index, length, checksum) == name;
    }

    [GeneratedRegex("^[0-9a-f]{16}$")]
    private static partial Regex DatasetDirectoryName();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex FileIdName();
}
