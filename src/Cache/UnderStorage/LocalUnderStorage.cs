using System.Globalization;

namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>
/// A directory of this node: <c>local:///abs/path</c>, or a persistent volume claim mounted on it (<c>pvc://</c>).
/// A file's version is its modification time and length, compared before and after each read.
/// </summary>
public sealed class LocalUnderStorage : IUnderStorage
{
    private readonly string _root;

    /// <param name="root">The absolute directory the mount's paths are relative to.</param>
    /// <param name="describe">The mount point as the dataset names it, for messages.</param>
    public LocalUnderStorage(string root, string describe)
    {
        if (!System.IO.Path.IsPathFullyQualified(root))
        {
            throw new ArgumentException($"The local under storage of {describe} needs an absolute directory; got '{root}'.", nameof(root));
        }

        _root = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(root));
        Describe = describe;
    }

    public string Describe { get; }

    public IAsyncEnumerable<UfsFile> ListAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_root))
        {
            throw new UfsFileNotFoundException($"{Describe} (directory {_root})");
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = 0 };
        return new DirectoryInfo(_root).EnumerateFiles("*", options).Select(FileOf).ToAsyncEnumerable();
    }

    public Task<UfsFile> StatAsync(string path, CancellationToken cancellationToken)
    {
        var info = new FileInfo(FullPath(path));
        return info.Exists ? Task.FromResult(FileOf(info)) : throw new UfsFileNotFoundException(UrlOf(path));
    }

    public async Task ReadAsync(UfsFile file, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        using var handle = OpenAt(file);
        var filled = 0;
        while (filled < destination.Length)
        {
            var read = await RandomAccess.ReadAsync(handle, destination[filled..], offset + filled, cancellationToken);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        // Checked after the bytes are in: a write that raced the read shows in the time or the length.
        var now = await StatAsync(file.Path, cancellationToken);
        if (now.Version != file.Version || filled < destination.Length)
        {
            throw new UfsFileChangedException(UrlOf(file.Path), file.Version, now.Version);
        }
    }

    public Task<Stream> OpenReadAsync(UfsFile file, long offset, CancellationToken cancellationToken)
    {
        var handle = OpenAt(file);
        Stream stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        stream.Seek(offset, SeekOrigin.Begin);
        return Task.FromResult(stream);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Opens the file if it is still the version asked for.</summary>
    private Microsoft.Win32.SafeHandles.SafeFileHandle OpenAt(UfsFile file)
    {
        var full = FullPath(file.Path);
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UfsFileNotFoundException(UrlOf(file.Path), e);
        }

        var version = VersionOf(new FileInfo(full));
        if (version != file.Version)
        {
            handle.Dispose();
            throw new UfsFileChangedException(UrlOf(file.Path), file.Version, version);
        }

        return handle;
    }

    private UfsFile FileOf(FileInfo info) =>
        new(System.IO.Path.GetRelativePath(_root, info.FullName).Replace(System.IO.Path.DirectorySeparatorChar, '/'),
            info.Length, VersionOf(info), new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero));

    private static string VersionOf(FileInfo info) =>
        string.Create(CultureInfo.InvariantCulture, $"{info.LastWriteTimeUtc.Ticks}-{info.Length}");

    /// <summary>The file under the root; a path that climbs out of it is refused.</summary>
    private string FullPath(string path)
    {
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(_root, path.TrimStart('/')));
        if (!full.StartsWith(_root + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{path}' is not a path inside {Describe}.", nameof(path));
        }

        return full;
    }

    private string UrlOf(string path) => $"{Describe.TrimEnd('/')}/{path}";
}
