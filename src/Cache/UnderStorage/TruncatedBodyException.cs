namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>A body that ended before the length the server announced: never data, always retried.</summary>
internal sealed class TruncatedBodyException(string url, long expected, long received)
    : IOException($"the body of {url} ended after {received} of {expected} bytes");
