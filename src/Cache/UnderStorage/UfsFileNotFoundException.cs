namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>A file the under storage does not have (HTTP 404, S3 NoSuchKey, no such local file); never retried.</summary>
public sealed class UfsFileNotFoundException : Exception
{
    public UfsFileNotFoundException(string url)
        : base($"{url} does not exist in the under storage.")
    {
        Url = url;
    }

    public UfsFileNotFoundException(string url, Exception innerException)
        : base($"{url} does not exist in the under storage.", innerException)
    {
        Url = url;
    }

    /// <summary>The file's URL, without credentials.</summary>
    public string Url { get; }
}
