namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>One file of a mount's under storage.</summary>
/// <param name="Path">Relative to the mount's root, '/'-separated, without a leading slash.</param>
/// <param name="Length">The file's size in bytes.</param>
/// <param name="Version">
/// What changes when the content does: the ETag (HTTP, S3), or the modification time and length (local); null when the
/// source gave none (an HTTP manifest's entries), and then only a change of length is noticed.
/// </param>
/// <param name="LastModified">When the file was last written, when the source says.</param>
public sealed record UfsFile(string Path, long Length, string? Version, DateTimeOffset? LastModified);
