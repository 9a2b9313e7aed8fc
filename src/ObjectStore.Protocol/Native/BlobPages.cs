namespace Fluid.Aspire.ObjectStore.Native;

/// <summary>
/// Which blobs get pages of their own. A writer fills such a blob in place through those pages of its arena
/// mapping, writable only until it seals, so that no process can write a sealed blob through any mapping. Smaller blobs
/// share pages with their neighbours: the writer fills private memory, and the client copies it in when sealing.
/// The daemon and the client must agree on this rule, so it lives here.
/// </summary>
public static class BlobPages
{
    /// <summary>From this size on, a copy at seal would cost more than mapping the blob's own pages.</summary>
    public const long OwnPagesFrom = 64 * 1024;

    public static int PageSize => LibC.PageSize;

    public static bool HasOwnPages(long length) => length >= OwnPagesFrom;

    /// <summary><paramref name="value"/> rounded up to a whole number of pages.</summary>
    public static long RoundUp(long value) => (value + LibC.PageSize - 1) & ~(long)(LibC.PageSize - 1);
}
