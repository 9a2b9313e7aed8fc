namespace Fluid.Aspire.Cache.Reading;

/// <summary>
/// The files of a dataset at one moment, sorted by path, with the totals a Dataset's status shows (<c>ufsTotal</c>,
/// <c>fileNum</c>).
/// </summary>
public sealed class DatasetListing
{
    private readonly Dictionary<string, DatasetFile> _byPath;

    internal DatasetListing(IEnumerable<DatasetFile> files, DateTimeOffset listedAt)
    {
        _byPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        Files = [.. _byPath.Values.OrderBy(f => f.Path, StringComparer.Ordinal)];
        TotalBytes = Files.Sum(f => f.Length);
        ListedAt = listedAt;
    }

    /// <summary>Every file, sorted by path (ordinal).</summary>
    public IReadOnlyList<DatasetFile> Files { get; }

    /// <summary>The sum of the files' sizes: the dataset's <c>ufsTotal</c>.</summary>
    public long TotalBytes { get; }

    /// <summary>How many files: the dataset's <c>fileNum</c>.</summary>
    public int FileCount => Files.Count;

    /// <summary>When the listing began: nothing in it is older than this.</summary>
    public DateTimeOffset ListedAt { get; }

    /// <summary>The file at a normalized path, or null.</summary>
    public DatasetFile? Find(string path) => _byPath.GetValueOrDefault(path);

    /// <summary>The files at or below a normalized path (the path of a file, or of a directory).</summary>
    public IEnumerable<DatasetFile> Under(string path) => Files.Where(f => DatasetPaths.IsUnder(f.Path, path));

    /// <summary>Whether a normalized path is a directory: some file lies below it.</summary>
    public bool IsDirectory(string path) => path == "/" || Files.Any(f => f.Path.Length > path.Length && DatasetPaths.IsUnder(f.Path, path));

    /// <summary>This listing with one file added, replaced (<paramref name="file"/>) or removed (null at <paramref name="path"/>).</summary>
    internal DatasetListing With(string path, DatasetFile? file) =>
        new([.. _byPath.Values.Where(f => f.Path != path), .. file is null ? Array.Empty<DatasetFile>() : [file]], ListedAt);
}
