using Fluid.Aspire.Cache.UnderStorage;
using Fluid.Aspire.TestSupport.StorageServers;
using static Fluid.Aspire.Cache.Tests.UnderStorage.TestStorage;

namespace Fluid.Aspire.Cache.Tests.UnderStorage;

/// <summary>The S3 connector against a real s3rver.</summary>
public sealed class S3UnderStorageTests
{
    private const string Bucket = "housing";

    [Fact]
    public async Task Lists_every_object_under_the_prefix_page_by_page()
    {
        await using var s3 = await S3Server.StartAsync(Bucket, Cancellation);
        await PutAsync(s3, "raw/a.csv", 10);
        await PutAsync(s3, "raw/train/b.bin", 2000);
        await PutAsync(s3, "raw/train/deep/c.bin", 1);
        await PutAsync(s3, "raw/train/folder/", 0);
        await PutAsync(s3, "other/d.bin", 5);
        var options = QuickRetries();
        options.ListPageSize = 2;
        await using var storage = Create($"s3://{Bucket}/raw", Endpoint(s3), Credentials(), options);

        var files = await ListAllAsync(storage);

        Assert.Equal([("a.csv", 10L), ("train/b.bin", 2000L), ("train/deep/c.bin", 1L)], files.Select(f => (f.Path, f.Length)));
        Assert.All(files, f => Assert.False(string.IsNullOrEmpty(f.Version)));
    }

    [Fact]
    public async Task A_mount_point_naming_one_object_is_a_dataset_of_that_object_and_anonymous_reads_work()
    {
        await using var s3 = await S3Server.StartAsync(Bucket, Cancellation);
        var bytes = await PutAsync(s3, "raw/housing.csv", 3000);
        await PutAsync(s3, "raw/housing.csv.old", 10);
        await using var storage = Create($"s3://{Bucket}/raw/housing.csv", Endpoint(s3), secrets: []);

        var file = (await ListAllAsync(storage)).Single();
        await using var stream = await storage.OpenReadAsync(file, 0, Cancellation);

        Assert.Equal(("housing.csv", 3000L), (file.Path, file.Length));
        Assert.Equal(bytes, await ReadToEndAsync(stream));
    }

    [Fact]
    public async Task Reads_ranges_and_streams_from_an_offset()
    {
        await using var s3 = await S3Server.StartAsync(Bucket, Cancellation);
        var bytes = await PutAsync(s3, "raw/big.bin", 1024 * 1024);
        await using var storage = Create($"s3://{Bucket}/raw/", Endpoint(s3), Credentials());
        var file = await storage.StatAsync("big.bin", Cancellation);
        var range = new byte[70_000];

        await storage.ReadAsync(file, 500_000, range, Cancellation);
        await using var stream = await storage.OpenReadAsync(file, 3, Cancellation);

        Assert.Equal(bytes.Length, file.Length);
        Assert.Equal(bytes.AsSpan(500_000, 70_000).ToArray(), range);
        Assert.Equal(bytes[3..], await ReadToEndAsync(stream));
    }

    [Fact]
    public async Task An_object_overwritten_after_its_listing_is_refused_as_changed()
    {
        await using var s3 = await S3Server.StartAsync(Bucket, Cancellation);
        await PutAsync(s3, "raw/x.bin", 1000);
        await using var storage = Create($"s3://{Bucket}/raw", Endpoint(s3), Credentials());
        var file = (await ListAllAsync(storage)).Single();
        await storage.ReadAsync(file, 0, new byte[500], Cancellation);

        await PutAsync(s3, "raw/x.bin", 1000, seed: 2);

        var changed = await Assert.ThrowsAsync<UfsFileChangedException>(() => storage.ReadAsync(file, 500, new byte[500], Cancellation));
        Assert.Contains($"s3://{Bucket}/raw/x.bin", changed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_object_is_not_found()
    {
        await using var s3 = await S3Server.StartAsync(Bucket, Cancellation);
        await using var storage = Create($"s3://{Bucket}/raw", Endpoint(s3), Credentials());

        var missing = await Assert.ThrowsAsync<UfsFileNotFoundException>(() => storage.StatAsync("nope.csv", Cancellation));
        await Assert.ThrowsAsync<UfsFileNotFoundException>(() => storage.ReadAsync(new UfsFile("nope.csv", 10, null, null), 0, new byte[10], Cancellation));

        Assert.Equal($"s3://{Bucket}/raw/nope.csv", missing.Url);
    }

    [Fact]
    public async Task Wrong_credentials_fail_clearly_without_the_secret_in_the_message()
    {
        const string accessKeyId = "AKIAWRONGKEY4TEST";
        const string secretKey = "wJalrXUtnFEMI-not-the-real-secret";
        await using var s3 = await S3Server.StartAsync(Bucket, Cancellation);
        await using var storage = Create($"s3://{Bucket}/raw", Endpoint(s3),
            new() { [S3UnderStorage.AccessKeyIdSecret] = accessKeyId, [S3UnderStorage.SecretKeySecret] = secretKey });

        var error = await Assert.ThrowsAsync<UnderStorageException>(async () => await ListAllAsync(storage));

        Assert.Contains($"s3://{Bucket}/raw/", error.Message, StringComparison.Ordinal);
        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        Assert.Contains("aws.accessKeyId", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secretKey, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(accessKeyId, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_errors_are_retried_then_reported_with_the_url()
    {
        await using var nginx = await NginxServer.StartAsync(Cancellation);
        await using var storage = Create($"s3://{Bucket}/raw",
            new() { [S3UnderStorage.EndpointOption] = new Uri(nginx.BaseUrl, "broken/").AbsoluteUri, [S3UnderStorage.PathStyleOption] = "true" },
            Credentials());

        var error = await Assert.ThrowsAsync<UnderStorageException>(() => storage.StatAsync("x.bin", Cancellation));

        Assert.Equal(3, await nginx.CountRequestsAsync("/broken/", Cancellation));
        Assert.Contains($"s3://{Bucket}/raw/x.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains("after 3 attempt(s)", error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Endpoint(S3Server s3) =>
        new() { [S3UnderStorage.EndpointOption] = s3.Endpoint.AbsoluteUri, [S3UnderStorage.PathStyleOption] = "true" };

    private static Dictionary<string, string> Credentials() =>
        new() { [S3UnderStorage.AccessKeyIdSecret] = S3Server.AccessKeyId, [S3UnderStorage.SecretKeySecret] = S3Server.SecretKey };

    private static async Task<byte[]> PutAsync(S3Server s3, string key, int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        await s3.PutObjectAsync(key, bytes, Cancellation);
        return bytes;
    }
}
