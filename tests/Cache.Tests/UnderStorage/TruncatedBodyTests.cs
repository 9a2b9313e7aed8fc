using Fluid.Aspire.Cache.UnderStorage;
using static Fluid.Aspire.Cache.Tests.UnderStorage.TestStorage;

namespace Fluid.Aspire.Cache.Tests.UnderStorage;

/// <summary>Bodies shorter than their Content-Length, from a raw socket server: retried, never returned as data.</summary>
public sealed class TruncatedBodyTests
{
    private static readonly byte[] Content = [.. Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7))];

    [Fact]
    public async Task A_truncated_range_is_fetched_again_and_the_whole_range_returned()
    {
        await using var server = new RawHttpServer(Content, truncateFirst: 1);
        await using var storage = Create(server.FileUrl.AbsoluteUri);
        var range = new byte[4000];

        await storage.ReadAsync(new UfsFile("file.bin", Content.Length, RawHttpServer.ETag, null), 1000, range, Cancellation);

        Assert.Equal(Content[1000..5000], range);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task Truncated_every_time_fails_after_the_retries_naming_the_url()
    {
        await using var server = new RawHttpServer(Content, truncateFirst: int.MaxValue);
        await using var storage = Create(server.FileUrl.AbsoluteUri);

        var error = await Assert.ThrowsAsync<UnderStorageException>(() =>
            storage.ReadAsync(new UfsFile("file.bin", Content.Length, RawHttpServer.ETag, null), 0, new byte[Content.Length], Cancellation));

        Assert.Equal(3, server.Connections);
        Assert.Contains(server.FileUrl.AbsoluteUri, error.Message, StringComparison.Ordinal);
        Assert.Contains("after 3 attempt(s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_cut_short_resumes_where_it_broke_off()
    {
        await using var server = new RawHttpServer(Content, truncateFirst: 1);
        await using var storage = Create(server.FileUrl.AbsoluteUri);

        await using var stream = await storage.OpenReadAsync(new UfsFile("file.bin", Content.Length, RawHttpServer.ETag, null), 2000, Cancellation);
        var bytes = await ReadToEndAsync(stream);

        Assert.Equal(Content[2000..], bytes);
        Assert.Equal([2000L, 6000L], server.RangeStarts);
    }
}
