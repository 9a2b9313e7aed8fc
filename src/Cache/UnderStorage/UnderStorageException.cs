namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>The under storage failed: a refusal (403, a bad request) or a transient error that outlasted the retries.</summary>
public sealed class UnderStorageException : Exception
{
    public UnderStorageException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
