using System.IO.Hashing;
using System.Text;

namespace Fluid.Aspire.Cache.Blocks;

/// <summary>
/// One block of one version of a file of a dataset: the bytes from <c>Index * blockSize</c>, at most a block long.
/// </summary>
/// <param name="DatasetId">The dataset, e.g. <c>default/mnist</c>.</param>
/// <param name="FileId">
/// The file's version, as made by <see cref="FileIdOf"/>: a changed file gets a new id, so it never reads old blocks.
/// Letters, digits, <c>_</c> and <c>-</c>, at most 128 characters, since it names a directory.
/// </param>
/// <param name="Index">The block's position in the file, from 0.</param>
public readonly record struct BlockKey(string DatasetId, string FileId, long Index)
{
    /// <summary>A stable id of a file's path and version (an ETag, a modification time and size, ...).</summary>
    public static string FileIdOf(string path, string version)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(version);
        // The separator cannot occur in either part, so ("a", "bc") and ("ab", "c") differ.
        var hash = XxHash128.Hash(Encoding.UTF8.GetBytes($"{path}\0{version}"));
        return Convert.ToHexStringLower(hash);
    }

    public override string ToString() => $"{DatasetId}/{FileId}#{Index}";
}
