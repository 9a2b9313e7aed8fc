using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>
/// A web server's directory (<c>http(s)://host/dir/</c>), listed from the index pages it serves, recursively, or from
/// a manifest (mount option <c>manifest</c>: a file beside the data, one <c>path size</c> a line); or a single file
/// (a URL not ending in '/'). Reads are Range requests that carry the file's ETag in If-Match, and check the ETag
/// and the length the server answers with.
/// </summary>
public sealed class HttpUnderStorage : IUnderStorage
{
    /// <summary>The mount option naming the manifest file, relative to the mount point.</summary>
    public const string ManifestOption = "manifest";

    private readonly HttpClient _client;
    private readonly UnderStorageRetry _retry;
    private readonly UnderStorageOptions _options;
    private readonly Uri _root;
    private readonly string _displayRoot;
    private readonly string? _singleFile;
    private readonly string? _manifest;

    public HttpUnderStorage(Uri mountPoint, IReadOnlyDictionary<string, string> mountOptions, UnderStorageOptions options, ILogger<HttpUnderStorage> logger)
    {
        if (mountPoint.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"'{mountPoint}' is not an http(s):// URL.", nameof(mountPoint));
        }

        options.Validate();
        _options = options;
        var clean = new UriBuilder(mountPoint) { UserName = "", Password = "", Query = "", Fragment = "" }.Uri;
        Describe = clean.AbsoluteUri;
        if (clean.AbsolutePath.EndsWith('/'))
        {
            _root = clean;
        }
        else
        {
            _root = new Uri(clean, ".");
            _singleFile = Uri.UnescapeDataString(clean.Segments[^1]);
        }

        _displayRoot = _root.AbsoluteUri;
        _manifest = mountOptions.GetValueOrDefault(ManifestOption) is { Length: > 0 } manifest ? manifest.TrimStart('/') : null;
        if (_manifest is not null && _singleFile is not null)
        {
            throw new ArgumentException($"The mount point {Describe} names one file, so its '{ManifestOption}' option has nothing to list; end the URL with '/' to mount its directory.");
        }

        _client = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = options.RequestTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _retry = new UnderStorageRetry(options, new HttpErrors(), logger);
    }

    public string Describe { get; }

    public async IAsyncEnumerable<UfsFile> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_singleFile is not null)
        {
            yield return await StatAsync(_singleFile, cancellationToken);
        }
        else if (_manifest is not null)
        {
            foreach (var file in await ReadManifestAsync(_manifest, cancellationToken))
            {
                yield return file;
            }
        }
        else
        {
            await foreach (var file in CrawlAsync(cancellationToken))
            {
                yield return file;
            }
        }
    }

    public Task<UfsFile> StatAsync(string path, CancellationToken cancellationToken)
    {
        var url = DisplayUrl(path);
        return _retry.ExecuteAsync(url, async token =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, FileUri(path));
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            ThrowIfFailed(response, url);
            var length = response.Content.Headers.ContentLength
                         ?? throw new UnderStorageException($"{url} answered HEAD without a Content-Length, so its size is unknown; serve it with one or list it in a manifest.", null);
            return new UfsFile(path, length, VersionOf(response, length), response.Content.Headers.LastModified);
        }, cancellationToken);
    }

    public Task ReadAsync(UfsFile file, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (destination.IsEmpty)
        {
            return Task.CompletedTask;
        }

        var url = DisplayUrl(file.Path);
        return _retry.ExecuteAsync(url, async token =>
        {
            using var response = await SendRangeAsync(file, offset, offset + destination.Length - 1, token);
            await using var body = await response.Content.ReadAsStreamAsync(token);
            await BodyReader.FillAsync(body, destination, url, token);
            return true;
        }, cancellationToken);
    }

    public Task<Stream> OpenReadAsync(UfsFile file, long offset, CancellationToken cancellationToken) =>
        ResumingReadStream.OpenAsync(file, offset, DisplayUrl(file.Path), async (from, token) =>
        {
            var response = await SendRangeAsync(file, from, null, token);
            return await response.Content.ReadAsStreamAsync(token);
        }, _retry, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Asks for bytes <paramref name="from"/>..<paramref name="to"/> (to the end when null) of the file's version: a
    /// 412, another ETag or another length means the file changed.
    /// </summary>
    private async Task<HttpResponseMessage> SendRangeAsync(UfsFile file, long from, long? to, CancellationToken cancellationToken)
    {
        var url = DisplayUrl(file.Path);
        using var request = new HttpRequestMessage(HttpMethod.Get, FileUri(file.Path));
        request.Headers.Range = new RangeHeaderValue(from, to);
        // If-Match compares strongly, so a weak ETag would always fail it; the ETag of the answer is compared below.
        if (file.Version is { } version && version.StartsWith('"'))
        {
            request.Headers.IfMatch.Add(EntityTagHeaderValue.Parse(version));
        }

        var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                throw new UfsFileChangedException(url, file.Version, response.Headers.ETag?.ToString());
            }

            ThrowIfFailed(response, url);
            var range = response.Content.Headers.ContentRange;
            var total = response.StatusCode == HttpStatusCode.PartialContent ? range?.Length : response.Content.Headers.ContentLength;
            var actual = VersionOf(response, total ?? -1);
            if (total != file.Length || (file.Version is not null && actual != file.Version))
            {
                throw new UfsFileChangedException(url, $"{file.Version} ({file.Length} bytes)", $"{actual} ({total?.ToString(CultureInfo.InvariantCulture) ?? "?"} bytes)");
            }

            if (response.StatusCode == HttpStatusCode.PartialContent ? range?.From != from : from != 0)
            {
                throw new UnderStorageException($"{url} answered a request for bytes from {from} with {response.StatusCode} {range}: the server does not honour Range requests.", null);
            }

            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async IAsyncEnumerable<UfsFile> CrawlAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pending = new Queue<Uri>([_root]);
        var seen = new HashSet<string>([_root.AbsoluteUri], StringComparer.Ordinal);
        using var stats = new SemaphoreSlim(_options.ListConcurrency);
        while (pending.TryDequeue(out var directory))
        {
            var files = new List<string>();
            foreach (var href in await ReadIndexAsync(directory, cancellationToken))
            {
                if (Inside(directory, href) is not { } entry || !seen.Add(entry.AbsoluteUri))
                {
                    continue;
                }

                if (entry.AbsolutePath.EndsWith('/'))
                {
                    pending.Enqueue(entry);
                }
                else
                {
                    files.Add(Uri.UnescapeDataString(entry.AbsolutePath[_root.AbsolutePath.Length..]));
                }
            }

            var found = files.Select(async path =>
            {
                await stats.WaitAsync(cancellationToken);
                try
                {
                    return await StatAsync(path, cancellationToken);
                }
                catch (UfsFileNotFoundException)
                {
                    return null; // Deleted since the index was served.
                }
                finally
                {
                    stats.Release();
                }
            }).ToList();
            foreach (var stat in found)
            {
                if (await stat is { } file)
                {
                    yield return file;
                }
            }
        }
    }

    /// <summary>The hrefs of a directory's index page.</summary>
    private Task<IReadOnlyList<string>> ReadIndexAsync(Uri directory, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(directory.AbsoluteUri, async token =>
        {
            using var response = await _client.GetAsync(directory, HttpCompletionOption.ResponseHeadersRead, token);
            ThrowIfFailed(response, directory.AbsoluteUri);
            var body = await response.Content.ReadAsStringAsync(token);
            return HttpDirectoryListing.Parse(body, response.Content.Headers.ContentType?.MediaType);
        }, cancellationToken);

    /// <summary>The link as a URL below the directory, or null for links elsewhere (parents, sort orders, other sites).</summary>
    private static Uri? Inside(Uri directory, string href)
    {
        if (href.Length == 0 || href.StartsWith('?') || href.StartsWith('#') || !Uri.TryCreate(directory, href, out var entry))
        {
            return null;
        }

        return entry.Authority == directory.Authority && entry.Scheme == directory.Scheme && entry.Query.Length == 0
               && entry.AbsolutePath.Length > directory.AbsolutePath.Length
               && entry.AbsolutePath.StartsWith(directory.AbsolutePath, StringComparison.Ordinal)
            ? entry
            : null;
    }

    private async Task<IReadOnlyList<UfsFile>> ReadManifestAsync(string manifest, CancellationToken cancellationToken)
    {
        var url = DisplayUrl(manifest);
        var text = await _retry.ExecuteAsync(url, async token =>
        {
            using var response = await _client.GetAsync(FileUri(manifest), HttpCompletionOption.ResponseHeadersRead, token);
            ThrowIfFailed(response, url);
            return await response.Content.ReadAsStringAsync(token);
        }, cancellationToken);
        var files = new List<UfsFile>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            // The size is the last field, so a path may hold spaces.
            var split = line.LastIndexOfAny([' ', '\t']);
            if (split <= 0 || !long.TryParse(line.AsSpan(split + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                throw new UnderStorageException($"Line {number} of the manifest {url} is '{line}'; each line must be 'path size', e.g. 'train/part-0.csv 1048576'.", null);
            }

            files.Add(new UfsFile(line[..split].TrimEnd().TrimStart('/'), size, null, null));
        }

        return files;
    }

    /// <summary>404 as <see cref="UfsFileNotFoundException"/>, other failures as HttpRequestException with the status.</summary>
    private static void ThrowIfFailed(HttpResponseMessage response, string url)
    {
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new UfsFileNotFoundException(url);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{url} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }
    }

    /// <summary>The ETag, or else the Last-Modified time with the length; null when the server sends neither.</summary>
    private static string? VersionOf(HttpResponseMessage response, long length) =>
        response.Headers.ETag?.ToString()
        ?? (response.Content.Headers.LastModified is { } modified
            ? string.Create(CultureInfo.InvariantCulture, $"{modified.UtcTicks}-{length}")
            : null);

    private Uri FileUri(string path) => new(_root, string.Join('/', path.Split('/').Select(Uri.EscapeDataString)));

    private string DisplayUrl(string path) => _displayRoot + path;
}
