using System.Diagnostics;

namespace Fluid.Aspire.Benchmarks.CacheAgent;

/// <summary>The timed reads: each drains a whole file with reads of <see cref="BufferSize"/> and checks its length.</summary>
internal sealed class Reads(long fileBytes)
{
    public const int BufferSize = 1024 * 1024;

    private readonly byte[] _buffer = new byte[BufferSize];

    /// <summary>Seconds to GET the file from the web server with a plain HttpClient.</summary>
    public async Task<double> HttpAsync(HttpClient client, Uri url, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await DrainAsync(body, url.AbsoluteUri, cancellationToken);
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>Seconds to open the file through the cache and read it whole.</summary>
    public async Task<double> CachedAsync(FreshCache cache, string path, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await using var stream = await cache.Dataset.OpenReadAsync(path, cancellationToken);
        await DrainAsync(stream, path, cancellationToken);
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>Seconds to read a local file with a FileStream of the same buffer size.</summary>
    public async Task<double> LocalAsync(string path, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        await DrainAsync(stream, path, cancellationToken);
        return watch.Elapsed.TotalSeconds;
    }

    private async Task DrainAsync(Stream stream, string what, CancellationToken cancellationToken)
    {
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(_buffer, cancellationToken)) > 0)
        {
            total += read;
        }

        if (total != fileBytes)
        {
            throw new InvalidDataException($"Reading {what} gave {total} bytes, not the file's {fileBytes}.");
        }
    }
}
