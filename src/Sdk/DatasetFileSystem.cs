using Fluid.Aspire.CacheAgent.Client;

namespace Fluid.Sdk;

/// <summary>
/// A dataset's files as a step reads them, wherever they live: through the node's cache agent for a dataset a
/// CacheRuntime caches (HTTP, S3, …), else from the node's directory of its <c>local://</c> mount. Get one from
/// <see cref="StepContext.OpenDatasetAsync"/>. The files are listed once, on first use: a file added later is not seen,
/// and one changed later fails its read rather than mixing two versions.
/// </summary>
public sealed class DatasetFileSystem
{
    private readonly IDatasetFiles _files;
    private readonly Lock _gate = new();
    private Task<IReadOnlyList<DatasetFileEntry>>? _listing;

    internal DatasetFileSystem(string datasetName, IDatasetFiles files)
    {
        DatasetName = datasetName;
        _files = files;
    }

    public string DatasetName { get; }

    /// <summary>Where the files come from, e.g. <c>cache agent on node-1</c> or <c>/data/housing</c>.</summary>
    public string Source => _files.Source;

    /// <summary>The files under <paramref name="directory"/> (the whole tree by default) and below it, by path.</summary>
    public async Task<IReadOnlyList<DatasetFileEntry>> EnumerateFilesAsync(string directory = "/", CancellationToken cancellationToken = default)
    {
        var root = Normalize(directory).TrimEnd('/');
        return [.. (await ListAsync(cancellationToken)).Where(f => root.Length == 0 || f.Path.StartsWith(root + "/", StringComparison.Ordinal))];
    }

    /// <summary>A seekable stream of the file at <paramref name="path"/> (e.g. <c>/sales/2024/jan.csv</c>); the caller disposes it.</summary>
    /// <exception cref="FileNotFoundException">The dataset has no such file.</exception>
    public async Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var wanted = Normalize(path);
        var files = await ListAsync(cancellationToken);
        var file = files.FirstOrDefault(f => f.Path == wanted)
            ?? throw new FileNotFoundException(
                $"Dataset {DatasetName} has no file {wanted} ({files.Count} file(s) from {Source}" +
                (files.Count == 0 ? ")." : $", e.g. {string.Join(", ", files.Take(3).Select(f => f.Path))}); list them with EnumerateFilesAsync()."),
                wanted);
        return await _files.OpenReadAsync(file, cancellationToken);
    }

    /// <summary>The listing, made once; again after a listing that failed.</summary>
    private Task<IReadOnlyList<DatasetFileEntry>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_listing is null || _listing.IsFaulted || _listing.IsCanceled)
            {
                _listing = ListSortedAsync(cancellationToken);
            }

            return _listing.WaitAsync(cancellationToken);
        }
    }

    private async Task<IReadOnlyList<DatasetFileEntry>> ListSortedAsync(CancellationToken cancellationToken) =>
        [.. (await _files.ListAsync(cancellationToken)).OrderBy(f => f.Path, StringComparer.Ordinal)];

    private static string Normalize(string path) => "/" + path.Replace('\\', '/').Trim('/');
}

/// <summary>Where a <see cref="DatasetFileSystem"/> reads.</summary>
internal interface IDatasetFiles
{
    string Source { get; }

    Task<IReadOnlyList<DatasetFileEntry>> ListAsync(CancellationToken cancellationToken);

    Task<Stream> OpenReadAsync(DatasetFileEntry file, CancellationToken cancellationToken);
}
