using Fluid.Aspire.Cache.UnderStorage;
using Fluid.Aspire.TestSupport.StorageServers;
using static Fluid.Aspire.Cache.Tests.UnderStorage.TestStorage;

namespace Fluid.Aspire.Cache.Tests.UnderStorage;

/// <summary>The HTTP connector against a real nginx.</summary>
public sealed class HttpUnderStorageTests
{
    [Theory]
    [InlineData("data")]
    [InlineData("json")]
    public async Task Lists_nested_directories_from_the_index_pages_with_sizes_and_etags(string location)
    {
        await using var nginx = await NginxServer.StartAsync(Cancellation);
        nginx.WriteFile("top.csv", 123);
        nginx.WriteFile("train/part 0.bin", 4096);
        nginx.WriteFile("train/nested/deep.bin", 1);
        nginx.WriteFile("empty/zero.bin", 0);
        await using var storage = Create(new Uri(nginx.BaseUrl, $"{location}/").AbsoluteUri);

        var files = await ListAllAsync(storage);

        Assert.Equal(["empty/zero.bin", "top.csv", "train/nested/deep.bin", "train/part 0.bin"], files.Select(f => f.Path));
        Assert.Equal([0L, 123L, 1L, 4096L], files.Select(f => f.Length));
        Assert.All(files, f => Assert.StartsWith("\"", f.Version, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lists_from_a_manifest_without_asking_for_each_file()
    {
        await using var nginx = await NginxServer.StartAsync(Cancellation);
        nginx.WriteFile("a/one.bin", 10);
        nginx.WriteFile("two with space.bin", 20);
        await File.WriteAllTextAsync(Path.Combine(nginx.DataDirectory, "files.txt"), "# path size\na/one.bin 10\n\ntwo with space.bin 20\n", Cancellation);
        await using var storage = Create(new Uri(nginx.BaseUrl, "data/").AbsoluteUri, new() { [HttpUnderStorage.ManifestOption] = "files.txt" });

        var files = await ListAllAsync(storage);
        var bytes = new byte[20];
        await storage.ReadAsync(files[1], 0, bytes, Cancellation);

        Assert.Equal([("a/one.bin", 10L), ("two with space.bin", 20L)], files.Select(f => (f.Path, f.Length)));
        Assert.Equal(1, await nginx.CountRequestsAsync("/data/a/", Cancellation) + await nginx.CountRequestsAsync("/data/two", Cancellation));
        Assert.Equal(File.ReadAllBytes(Path.Combine(nginx.DataDirectory, "two with space.bin")), bytes);
    }

    [Fact]
    public async Task A_url_of_one_file_is_a_dataset_of_that_file()
    {
        await using var nginx = await NginxServer.StartAsync(Cancellation);
        var bytes = nginx.WriteFile("sub/house.csv", 300);
        nginx.WriteFile("sub/other.csv", 5);
        await using var storage = Create(new Uri(nginx.BaseUrl, "data/sub/house.csv").AbsoluteUri);

        var files = await ListAllAsync(storage);
        await using var stream = await storage.OpenReadAsync(files.Single(), 0, Cancellation);

        Assert.Equal(["house.csv"], files.Select(f => f.Path));
        Assert.Equal(bytes, await ReadToEndAsync(stream));
    }

    [Fact]
    public async Task Reads_ranges_and_streams_from_an_offset_in_one_request()
    {
        await using var nginx = await NginxServer.StartAsync(Cancellation);
        var bytes = nginx.WriteFile("big.bin", 3 * 1024 * 1024);
        await using var storage = Create(new Uri(nginx.BaseUrl, "data/").AbsoluteUri);
        var file = await storage.StatAsync("big.bin", Cancellation);
        var range = new byte[100_000];

        await storage.ReadAsync(file, 1_000_001, range, Cancellation);
        var before = await nginx.CountRequestsAsync("/data/big.bin", Cancellation);
        await using (var stream = await storage.OpenReadAsync(file, 17, Cancellation))
        {
            Assert.Equal(bytes[17..], await ReadToEndAsync(stream));
        }

        Assert.Equal(bytes.AsSpan(1_000_001, 100_000).ToArray(), range);
        Assert.Equal(1, await nginx.CountRequestsAsync("/data/big.bin", Cancellation) - before);
    }

    [Fact]
    public async Task A_file_changed_between_two_reads_is_detected_by_its_etag()
    {
        await using var nginx = await NginxServer.StartAsync(Cancellation);
        nginx.WriteFile("x.bin", 10_000);
        await using var storage = Create(new Uri(nginx.BaseUrl, "data/").AbsoluteUri);
        var file = await storage.StatAsync("x.bin", Cancellation);
        await storage.ReadAsync(file, 0, new byte[5000], Cancellation);
        await using var stream = await storage.OpenReadAsync(file, 0, Cancellation);

        // Same length, new content and time: only the ETag (nginx's is mtime-size) tells.
        nginx.WriteFile("x.bin", 10_000, seed: 2);
        File.SetLastWriteTimeUtc(Path.Combine(nginx.DataDirectory, "x.bin"), DateTime.UtcNow.AddHours(1));

        var changed = await Assert.ThrowsAsync<UfsFileChangedException>(() => storage.ReadAsync(file, 5000, new byte[5000], Cancellation));
        Assert.Contains("/data/x.bin", changed.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<UfsFileChangedException>(() => storage.OpenReadAsync(file, 5000, Cancellation));
    }

    [Fact]
    public async Task A_missing_file_is_not_found_at_once()
    {
        await using var nginx = await NginxServer.StartAsync(Cancellation);
        await using var storage = Create(new Uri(nginx.BaseUrl, "data/").AbsoluteUri);

        var missing = await Assert.ThrowsAsync<UfsFileNotFoundException>(() => storage.StatAsync("nope.csv", Cancellation));
        await Assert.ThrowsAsync<UfsFileNotFoundException>(() => storage.ReadAsync(new UfsFile("nope.csv", 10, null, null), 0, new byte[10], Cancellation));

        Assert.Equal(new Uri(nginx.BaseUrl, "data/nope.csv").AbsoluteUri, missing.Url);
        Assert.Equal(2, await nginx.CountRequestsAsync("/data/nope.csv", Cancellation));
    }

    [Fact]
    public async Task Server_errors_are_retried_then_reported_with_the_url_and_the_attempts()
    {
        await using var nginx = await NginxServer.StartAsync(Cancellation);
        await using var storage = Create(new Uri(nginx.BaseUrl, "broken/").AbsoluteUri);

        var error = await Assert.ThrowsAsync<UnderStorageException>(() => storage.ReadAsync(new UfsFile("x.bin", 10, null, null), 0, new byte[10], Cancellation));

        Assert.Equal(3, await nginx.CountRequestsAsync("/broken/x.bin", Cancellation));
        Assert.Contains(new Uri(nginx.BaseUrl, "broken/x.bin").AbsoluteUri, error.Message, StringComparison.Ordinal);
        Assert.Contains("after 3 attempt(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("500", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_slower_than_the_request_timeout_is_retried_then_reported()
    {
        await using var nginx = await NginxServer.StartAsync(Cancellation);
        nginx.WriteFile("big.bin", 40 * NginxServer.SlowRate);
        await using var storage = Create(new Uri(nginx.BaseUrl, "slow/").AbsoluteUri, storageOptions: QuickRetries(TimeSpan.FromSeconds(1)));
        var file = await storage.StatAsync("big.bin", Cancellation);

        var error = await Assert.ThrowsAsync<UnderStorageException>(() => storage.ReadAsync(file, 0, new byte[file.Length], Cancellation));

        Assert.Contains("after 3 attempt(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("timeout", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
