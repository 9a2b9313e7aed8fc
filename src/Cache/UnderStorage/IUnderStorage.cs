namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>
/// The storage a dataset's mount points at (a directory, a web server, an S3 bucket), read-only. Errors a retry may
/// cure are retried; once the budget is spent the connector throws <see cref="UnderStorageException"/>.
/// </summary>
public interface IUnderStorage : IAsyncDisposable
{
    /// <summary>The mount point without credentials, for messages.</summary>
    string Describe { get; }

    /// <summary>Every file under the mount's root, recursively.</summary>
    IAsyncEnumerable<UfsFile> ListAsync(CancellationToken cancellationToken);

    /// <summary>One file's size and version; <see cref="UfsFileNotFoundException"/> when it is not there.</summary>
    Task<UfsFile> StatAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// Fills <paramref name="destination"/> with the file's bytes from <paramref name="offset"/>, which the caller keeps
    /// within the file. Throws <see cref="UfsFileChangedException"/> when the file is no longer the version
    /// <paramref name="file"/> names; a short body is retried and never returned as data.
    /// </summary>
    Task ReadAsync(UfsFile file, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>
    /// The file's bytes from <paramref name="offset"/> to its end, in one request (resumed where it broke off when a
    /// transient error cuts it), for large sequential reads. Its reads throw as <see cref="ReadAsync"/> does.
    /// </summary>
    Task<Stream> OpenReadAsync(UfsFile file, long offset, CancellationToken cancellationToken);
}
