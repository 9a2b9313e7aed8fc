using Fluid.Aspire.Cache.UnderStorage;
using static Fluid.Aspire.Cache.Tests.UnderStorage.TestStorage;

namespace Fluid.Aspire.Cache.Tests.UnderStorage;

public sealed class UnderStorageFactoryTests
{
    [Theory]
    [InlineData("oss://bucket/data", "oss")]
    [InlineData("hdfs://namenode:8020/data", "hdfs")]
    [InlineData("objectstore://housing", "objectstore")]
    public void A_scheme_the_cache_cannot_read_is_refused_naming_it_and_what_it_reads(string mountPoint, string scheme)
    {
        var error = Assert.Throws<ArgumentException>(() => Create(mountPoint));

        Assert.Contains($"'{scheme}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("local://, pvc://, http://, https://, s3://", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_readable_scheme_gets_its_connector_described_without_credentials()
    {
        Assert.IsType<LocalUnderStorage>(Create("local:///tmp"));
        var http = Assert.IsType<HttpUnderStorage>(Create("https://user:pass@example.com/data/?token=abc"));
        Assert.Equal("https://example.com/data/", http.Describe);
        var s3 = Assert.IsType<S3UnderStorage>(Create("s3://bucket/some/prefix/", secrets: new() { ["aws.accessKeyId"] = "id", ["aws.secretKey"] = "secret" }));
        Assert.Equal("s3://bucket/some/prefix/", s3.Describe);
    }

    [Fact]
    public void Half_a_key_pair_and_an_unmounted_claim_are_refused_with_the_fix()
    {
        var half = Assert.Throws<ArgumentException>(() => Create("s3://bucket/x", secrets: new() { ["aws.accessKeyId"] = "id" }));
        Assert.Contains("aws.secretKey", half.Message, StringComparison.Ordinal);

        var claim = Assert.Throws<ArgumentException>(() => Create("pvc://claim/x"));
        Assert.Contains("PersistentVolumeClaimRoot", claim.Message, StringComparison.Ordinal);

        var pathStyle = Assert.Throws<ArgumentException>(() => Create("s3://bucket/x", new() { ["pathStyle"] = "yes" }));
        Assert.Contains("pathStyle='yes'", pathStyle.Message, StringComparison.Ordinal);
    }
}
