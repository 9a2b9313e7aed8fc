using Fluid.Aspire.ObjectStore.Daemon;
using Fluid.Aspire.ObjectStore.Rpc;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests.Rpc;

/// <summary>How the cluster's token is given, read, written and checked.</summary>
public sealed class TokenSettingsTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.2")]
    [InlineData("::1")]
    public void A_loopback_address_needs_no_token(string address)
    {
        Assert.Empty(new ObjectStoreOptions { BindAddress = address }.Validate());
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("10.1.2.3")]
    public void A_network_address_needs_a_token(string address)
    {
        var problem = Assert.Single(new ObjectStoreOptions { BindAddress = address }.Validate());

        Assert.Contains("--token-file", problem, StringComparison.Ordinal);
        Assert.Empty(new ObjectStoreOptions { BindAddress = address, TokenFile = "/run/secrets/token" }.Validate());
        Assert.Empty(new ObjectStoreOptions { BindAddress = address, Token = new string('x', 40) }.Validate());
    }

    [Fact]
    public void A_token_given_both_as_a_file_and_as_text_is_refused()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => ObjectStoreToken.FromSettings("/run/secrets/token", new string('x', 40)));

        Assert.Contains(ObjectStoreToken.FileSetting, refused.Message, StringComparison.Ordinal);
        Assert.Contains(ObjectStoreToken.TextSetting, refused.Message, StringComparison.Ordinal);
        Assert.Null(ObjectStoreToken.FromSettings(null, " "));
    }

    [Fact]
    public void A_token_matches_only_its_own_bearer_header()
    {
        var text = new string('k', 43);
        var token = ObjectStoreToken.Parse(text + "\n", "test");

        Assert.True(token.Matches($"Bearer {text}"));
        Assert.False(token.Matches($"Bearer {text}x"));
        Assert.False(token.Matches(text));
        Assert.False(token.Matches(null));
        Assert.False(ObjectStoreToken.Generate().Matches($"Bearer {text}"));
        Assert.DoesNotContain(text, token.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_file_is_written_for_its_owner_only_and_reads_back()
    {
        using var directory = new TemporaryDirectory();
        var path = Path.Combine(directory.Path, "token");
        await File.WriteAllTextAsync(path, "an older, world-readable file", Cancellation);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var token = ObjectStoreToken.Generate();

        await token.WriteFileAsync(path, Cancellation);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.True(ObjectStoreToken.ReadFile(path).Matches(token.AuthorizationValue));
        Assert.Equal([path], Directory.GetFiles(directory.Path));
    }
}
