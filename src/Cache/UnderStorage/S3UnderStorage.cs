using System.Net;
using System.Runtime.CompilerServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>
/// Objects under a prefix of an S3 bucket (<c>s3://bucket/prefix</c>), through AWSSDK.S3: ListObjectsV2 page by page,
/// or, when nothing is under it and the mount point does not end with '/', the one object it names (as an http URL
/// of one file is a dataset of that file);
/// GetObject with a byte range and the ETag in If-Match (EtagToMatch), whose answer's ETag is checked as well.
/// Mount options: <c>endpoint</c> (an S3-compatible server's URL), <c>region</c>, <c>pathStyle</c> (true for servers
/// without virtual-host buckets). Credentials come from the encrypt options <c>aws.accessKeyId</c> and
/// <c>aws.secretKey</c>; without them requests are anonymous.
/// </summary>
public sealed class S3UnderStorage : IUnderStorage
{
    public const string EndpointOption = "endpoint";
    public const string RegionOption = "region";
    public const string PathStyleOption = "pathStyle";
    public const string AccessKeyIdSecret = "aws.accessKeyId";
    public const string SecretKeySecret = "aws.secretKey";

    private readonly AmazonS3Client _client;
    private readonly UnderStorageRetry _retry;
    private readonly S3Errors _errors;
    private readonly UnderStorageOptions _options;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly string? _objectKey;

    // Where the files' keys start: the prefix, or the folder of the one object the mount point names once listed so.
    private volatile string _keyPrefix;

    public S3UnderStorage(string mountPoint, IReadOnlyDictionary<string, string> mountOptions, IReadOnlyDictionary<string, string> secretOptions,
        UnderStorageOptions options, ILogger<S3UnderStorage> logger)
    {
        options.Validate();
        _options = options;
        (_bucket, _prefix) = Parse(mountPoint);
        _keyPrefix = _prefix;
        _objectKey = _prefix.Length > 0 && !mountPoint.EndsWith('/') ? _prefix.TrimEnd('/') : null;
        Describe = $"s3://{_bucket}/{_prefix}";

        var accessKeyId = secretOptions.GetValueOrDefault(AccessKeyIdSecret);
        var secretKey = secretOptions.GetValueOrDefault(SecretKeySecret);
        if (string.IsNullOrEmpty(accessKeyId) != string.IsNullOrEmpty(secretKey))
        {
            throw new ArgumentException(
                $"The mount {Describe} has only one of the encrypt options {AccessKeyIdSecret} and {SecretKeySecret}; give both, or neither for anonymous access.");
        }

        _errors = new S3Errors([accessKeyId ?? "", secretKey ?? ""]);
        AWSCredentials credentials = string.IsNullOrEmpty(accessKeyId) ? new AnonymousAWSCredentials() : new BasicAWSCredentials(accessKeyId, secretKey);
        _client = new AmazonS3Client(credentials, ConfigOf(mountOptions));
        _retry = new UnderStorageRetry(options, _errors, logger);
    }

    public string Describe { get; }

    public async IAsyncEnumerable<UfsFile> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var listed = false;
        await foreach (var file in ListPrefixAsync(cancellationToken))
        {
            listed = true;
            yield return file;
        }

        if (!listed && _objectKey is not null && await FindObjectAsync(_objectKey, cancellationToken) is { } single)
        {
            yield return single;
        }
    }

    /// <summary>The object <paramref name="key"/> as a file of its folder, which its reads then go to; null when there is none.</summary>
    private async Task<UfsFile?> FindObjectAsync(string key, CancellationToken cancellationToken)
    {
        var slash = key.LastIndexOf('/');
        var folder = slash < 0 ? "" : key[..(slash + 1)];
        try
        {
            _keyPrefix = folder;
            return await StatAsync(key[folder.Length..], cancellationToken);
        }
        catch (UfsFileNotFoundException)
        {
            _keyPrefix = _prefix;
            return null;
        }
    }

    private async IAsyncEnumerable<UfsFile> ListPrefixAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var request = new ListObjectsV2Request
            {
                BucketName = _bucket,
                Prefix = _prefix,
                MaxKeys = _options.ListPageSize,
                ContinuationToken = continuation,
            };
            var page = await _retry.ExecuteAsync(Describe, token => new ValueTask<ListObjectsV2Response>(_client.ListObjectsV2Async(request, token)),
                cancellationToken);
            foreach (var item in page.S3Objects ?? [])
            {
                // Keys ending in '/' are the folder markers consoles create, not files.
                if (!item.Key.EndsWith('/'))
                {
                    yield return new UfsFile(item.Key[_prefix.Length..], item.Size ?? 0, item.ETag, ToOffset(item.LastModified));
                }
            }

            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuation is not null);
    }

    public Task<UfsFile> StatAsync(string path, CancellationToken cancellationToken)
    {
        var url = UrlOf(path);
        return _retry.ExecuteAsync(url, async token =>
        {
            try
            {
                var metadata = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = _keyPrefix + path }, token);
                return new UfsFile(path, metadata.ContentLength, metadata.ETag, ToOffset(metadata.LastModified));
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                throw new UfsFileNotFoundException(url);
            }
        }, cancellationToken);
    }

    public Task ReadAsync(UfsFile file, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (destination.IsEmpty)
        {
            return Task.CompletedTask;
        }

        var url = UrlOf(file.Path);
        return _retry.ExecuteAsync(url, async token =>
        {
            using var response = await GetRangeAsync(file, offset, offset + destination.Length - 1, token);
            await BodyReader.FillAsync(response.ResponseStream, destination, url, token);
            return true;
        }, cancellationToken);
    }

    public Task<Stream> OpenReadAsync(UfsFile file, long offset, CancellationToken cancellationToken) =>
        ResumingReadStream.OpenAsync(file, offset, UrlOf(file.Path),
            async (from, token) => (await GetRangeAsync(file, from, file.Length - 1, token)).ResponseStream, _retry, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Bytes <paramref name="from"/>..<paramref name="to"/> of the file's version; another ETag means it changed.</summary>
    private async Task<GetObjectResponse> GetRangeAsync(UfsFile file, long from, long to, CancellationToken cancellationToken)
    {
        var url = UrlOf(file.Path);
        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(new GetObjectRequest
            {
                BucketName = _bucket,
                Key = _keyPrefix + file.Path,
                ByteRange = new ByteRange(from, to),
                EtagToMatch = file.Version,
            }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new UfsFileNotFoundException(url);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            throw new UfsFileChangedException(url, file.Version, null);
        }

        // Not every S3-compatible server honours If-Match on GET, so the answer's ETag is compared too.
        if (file.Version is not null && response.ETag != file.Version)
        {
            response.Dispose();
            throw new UfsFileChangedException(url, file.Version, response.ETag);
        }

        return response;
    }

    private AmazonS3Config ConfigOf(IReadOnlyDictionary<string, string> mountOptions)
    {
        var region = mountOptions.GetValueOrDefault(RegionOption) is { Length: > 0 } named ? named : "us-east-1";
        var config = new AmazonS3Config
        {
            // The retries are this connector's own (UnderStorageOptions), not the SDK's on top of them.
            MaxErrorRetry = 0,
            ForcePathStyle = mountOptions.GetValueOrDefault(PathStyleOption) is { } pathStyle
                ? bool.TryParse(pathStyle, out var forced) ? forced : throw new ArgumentException($"The mount {Describe} has option {PathStyleOption}='{pathStyle}'; use true or false.")
                : false,
        };
        if (mountOptions.GetValueOrDefault(EndpointOption) is { Length: > 0 } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"The mount {Describe} has option {EndpointOption}='{endpoint}'; it must be an http(s) URL, e.g. https://minio.example:9000.");
            }

            config.ServiceURL = url.AbsoluteUri;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        return config;
    }

    private static (string Bucket, string Prefix) Parse(string mountPoint)
    {
        const string scheme = "s3://";
        if (!mountPoint.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || mountPoint.Length == scheme.Length)
        {
            throw new ArgumentException($"'{mountPoint}' is not an S3 mount point; e.g. s3://bucket/prefix.", nameof(mountPoint));
        }

        var rest = mountPoint[scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return (rest, "");
        }

        var prefix = rest[(slash + 1)..].Trim('/');
        return (rest[..slash], prefix.Length == 0 ? "" : prefix + "/");
    }

    private static DateTimeOffset? ToOffset(DateTime? time) =>
        time is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t.ToUniversalTime(), DateTimeKind.Utc)) : null;

    private string UrlOf(string path) => $"s3://{_bucket}/{_keyPrefix}{path}";
}
