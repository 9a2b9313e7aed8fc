using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;

namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>
/// S3's transient errors (5xx, SlowDown, RequestTimeout, broken connections); every message is scrubbed of the
/// credentials, which must never reach a log or a status.
/// </summary>
internal sealed class S3Errors(IReadOnlyCollection<string> secrets) : IUnderStorageErrors
{
    public bool IsTransient(Exception exception) =>
        exception switch
        {
            AmazonServiceException { ErrorCode: "SlowDown" or "RequestTimeout" or "InternalError" } => true,
            AmazonServiceException { StatusCode: var status } when (int)status >= 500 => true,
            HttpRequestException or IOException or SocketException => true,
            AmazonClientException or AmazonServiceException => exception.InnerException is { } inner && IsTransient(inner),
            _ => false,
        };

    public string Explain(Exception exception)
    {
        var text = exception switch
        {
            AmazonServiceException { StatusCode: HttpStatusCode.Forbidden } e =>
                $"S3 answered 403 {e.ErrorCode}: {e.Message} Check the credentials (encryptOptions aws.accessKeyId and aws.secretKey) and the bucket's policy.",
            AmazonServiceException { StatusCode: not 0 } e => $"S3 answered {(int)e.StatusCode} {e.ErrorCode}: {e.Message}",
            _ when exception.InnerException is { } inner => $"{exception.Message} ({inner.Message})",
            _ => exception.Message,
        };
        return Redact(text);
    }

    /// <summary>The text with every credential replaced by '***'.</summary>
    public string Redact(string text) =>
        secrets.Where(s => s.Length > 0).Aggregate(text, (current, secret) => current.Replace(secret, "***", StringComparison.Ordinal));
}
