using System.Net;
using System.Net.Sockets;

namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>HTTP's transient errors: server errors, 408 and 429, and connections that failed or broke.</summary>
internal sealed class HttpErrors : IUnderStorageErrors
{
    public bool IsTransient(Exception exception) =>
        exception switch
        {
            HttpRequestException { StatusCode: null } => true,
            HttpRequestException { StatusCode: { } status } => (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests,
            IOException or SocketException => true,
            _ => false,
        };

    public string Explain(Exception exception) =>
        exception.InnerException is { } inner && exception is HttpRequestException { StatusCode: null }
            ? $"{exception.Message} ({inner.Message})"
            : exception.Message;
}
