namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>
/// The file changed since it was listed or stat'ed: its bytes would mix two versions, so the read is refused. The
/// caller stats the file again and starts over.
/// </summary>
public sealed class UfsFileChangedException : Exception
{
    public UfsFileChangedException(string url, string? expectedVersion, string? actualVersion)
        : base($"{url} changed while it was read: expected version {expectedVersion ?? "(none)"}, found {actualVersion ?? "(none)"}. Stat it again and read the new version.")
    {
        Url = url;
    }

    /// <summary>The file's URL, without credentials.</summary>
    public string Url { get; }
}
