using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Client.Remote;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Rpc;
using Fluid.Aspire.TestSupport;
using Grpc.Net.Client;

namespace Fluid.Aspire.ObjectStore.Tests.Rpc;

/// <summary>
/// The network face of a daemon with a cluster token: gRPC calls and bulk connections without the token, or with
/// another, are refused; with it they are served; and a daemon on a network address will not start without one.
/// </summary>
public sealed class ClusterTokenTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_grpc_call_without_the_token_or_with_another_is_refused_and_with_it_is_served()
    {
        using var secrets = new TemporaryDirectory();
        var token = await WriteTokenAsync(secrets, "token");
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, options: ["--token-file", Path.Combine(secrets.Path, "token")]);

        using var anonymous = new RemoteObjectStoreClient(daemon.RpcEndpoint);
        var none = await Assert.ThrowsAsync<ObjectStoreException>(() => anonymous.ListAsync(cancellationToken: Cancellation));
        using var stranger = new RemoteObjectStoreClient(daemon.RpcEndpoint, ObjectStoreToken.Generate());
        var wrong = await Assert.ThrowsAsync<ObjectStoreException>(() => stranger.PutAsync(new byte[10], cancellationToken: Cancellation));
        using var member = new RemoteObjectStoreClient(daemon.RpcEndpoint, token);
        var id = await member.PutAsync("admitted"u8.ToArray(), new PutOptions { Name = "admitted" }, Cancellation);

        Assert.Equal((ObjectStoreErrorCode.PermissionDenied, ObjectStoreErrorCode.PermissionDenied), (none.Code, wrong.Code));
        Assert.Contains("carried no token", none.Message, StringComparison.Ordinal);
        Assert.Contains("not this cluster's", wrong.Message, StringComparison.Ordinal);
        Assert.Equal(id, Assert.Single(await member.ListAsync(cancellationToken: Cancellation)).Id);
        await daemon.Process.WaitForOutputAsync("Refused a call to /fluid.objectstore.v1.ObjectStoreRpc/List from ipv4:127.0.0.1:", Patience, Cancellation);
    }

    [Fact]
    public async Task The_health_endpoint_stays_open_without_the_token()
    {
        using var secrets = new TemporaryDirectory();
        await WriteTokenAsync(secrets, "token");
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, options: ["--token-file", Path.Combine(secrets.Path, "token")]);
        using var http = new HttpClient();

        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(daemon.RpcEndpoint, "/health"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        }, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_bulk_connection_that_does_not_prove_the_token_is_refused_and_one_that_does_gets_the_bytes()
    {
        using var secrets = new TemporaryDirectory();
        var token = await WriteTokenAsync(secrets, "token");
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, options: ["--token-file", Path.Combine(secrets.Path, "token")]);
        await using var local = await daemon.ConnectAsync(Cancellation);
        var bytes = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 13)).ToArray();
        await local.PutAsync(bytes, new PutOptions { Name = "bulky" }, Cancellation);
        using var channel = GrpcChannel.ForAddress(daemon.RpcEndpoint);
        var rpc = new ObjectStoreRpc.ObjectStoreRpcClient(token.Authorize(channel));

        var stranger = await ClaimAsync(rpc, ticket => ObjectStoreToken.Generate().Sign(ticket));
        var tokenless = await ClaimAsync(rpc, ticket => HMACSHA256.HashData(Array.Empty<byte>(), ticket));
        var member = await ClaimAsync(rpc, ticket => token.Sign(ticket));

        Assert.Equal(1, stranger[0]);
        Assert.Contains("did not prove the cluster's token", Encoding.UTF8.GetString(stranger.AsSpan(1)), StringComparison.Ordinal);
        Assert.Equal(stranger, tokenless);
        Assert.Equal(0, member[0]);
        Assert.Equal(bytes, member[1..]);
        await daemon.Process.WaitForOutputAsync("A bulk connection from 127.0.0.1:", Patience, Cancellation);
        Assert.Contains("did not prove the cluster's token; refusing it", daemon.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Instances_with_the_same_token_fetch_from_each_other_over_both_channels()
    {
        using var secrets = new TemporaryDirectory();
        await WriteTokenAsync(secrets, "token");
        var tokenFile = Path.Combine(secrets.Path, "token");
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var owner = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-0", options: ["--token-file", tokenFile]);
        await using var bulk = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1", options: ["--token-file", tokenFile]);
        await using var grpc = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-2",
            options: ["--token-file", tokenFile, "--peer-channel", "Grpc"]);
        await using var producer = await owner.ConnectAsync(Cancellation);
        var bytes = Enumerable.Range(0, 3 * 1024 * 1024 + 7).Select(i => (byte)(i % 249)).ToArray();
        await producer.PutAsync(bytes, new PutOptions { Name = "shared", Persist = true }, Cancellation);

        foreach (var consumer in new[] { bulk, grpc })
        {
            await using var client = await consumer.ConnectAsync(Cancellation);
            await Eventually.ReturnsAsync(() => client.ListAsync("shared", cancellationToken: Cancellation),
                l => l.Objects.Count == 1, Patience, $"the persisted object listed on {consumer.Node}", Cancellation);
            using var copy = await client.GetAsync("shared", new GetOptions { Fetch = true }, Cancellation);
            Assert.True(copy.Blobs[0].Span.SequenceEqual(bytes));
        }

        await bulk.Process.WaitForOutputAsync("over bulk", Patience, Cancellation);
        await grpc.Process.WaitForOutputAsync("over grpc", Patience, Cancellation);
    }

    [Fact]
    public async Task An_instance_with_another_token_cannot_fetch()
    {
        using var secrets = new TemporaryDirectory();
        await WriteTokenAsync(secrets, "ours");
        await WriteTokenAsync(secrets, "theirs");
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var owner = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-0", options: ["--token-file", Path.Combine(secrets.Path, "ours")]);
        await using var other = await ObjectStoreDaemon.StartAsync(Cancellation, etcd: etcd, node: "node-1", options: ["--token-file", Path.Combine(secrets.Path, "theirs")]);
        await using var producer = await owner.ConnectAsync(Cancellation);
        await using var consumer = await other.ConnectAsync(Cancellation);
        await producer.PutAsync(new byte[4096], new PutOptions { Name = "guarded", Persist = true }, Cancellation);
        await Eventually.ReturnsAsync(() => consumer.ListAsync("guarded", cancellationToken: Cancellation),
            l => l.Objects.Count == 1, Patience, "the persisted object listed on the other instance", Cancellation);

        var refused = await Assert.ThrowsAsync<ObjectStoreException>(() => consumer.GetAsync("guarded", new GetOptions { Fetch = true }, Cancellation));

        Assert.Equal(ObjectStoreErrorCode.PermissionDenied, refused.Code);
        Assert.Contains("cluster's token", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_daemon_bound_to_every_address_will_not_start_without_a_token()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => ObjectStoreDaemon.StartAsync(Cancellation, options: ["--bind", "0.0.0.0"]));

        Assert.Contains("exited with code 2", failure.Message, StringComparison.Ordinal);
        Assert.Contains("BindAddress is 0.0.0.0", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--token-file", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_daemon_bound_to_every_address_starts_with_a_token()
    {
        using var secrets = new TemporaryDirectory();
        var token = await WriteTokenAsync(secrets, "token");
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation,
            options: ["--bind", "0.0.0.0", "--token-file", Path.Combine(secrets.Path, "token")]);
        using var member = new RemoteObjectStoreClient(daemon.RpcEndpoint, token);

        Assert.Empty(await member.ListAsync(cancellationToken: Cancellation));
    }

    [Fact]
    public async Task A_token_file_that_is_missing_or_too_short_stops_the_daemon_with_a_clear_error()
    {
        using var secrets = new TemporaryDirectory();
        await File.WriteAllTextAsync(Path.Combine(secrets.Path, "short"), "secret\n", Cancellation);

        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ObjectStoreDaemon.StartAsync(Cancellation, options: ["--token-file", Path.Combine(secrets.Path, "absent")]));
        var tooShort = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ObjectStoreDaemon.StartAsync(Cancellation, options: ["--token-file", Path.Combine(secrets.Path, "short")]));

        Assert.Contains($"The token file '{Path.Combine(secrets.Path, "absent")}'", missing.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be read", missing.Message, StringComparison.Ordinal);
        Assert.Contains("at least 32 visible ASCII characters", tooShort.Message, StringComparison.Ordinal);
    }

    /// <summary>Asks for a bulk transfer of 'bulky', claims it with the proof <paramref name="prove"/> makes, and returns every byte the listener sent.</summary>
    private static async Task<byte[]> ClaimAsync(ObjectStoreRpc.ObjectStoreRpcClient rpc, Func<byte[], byte[]> prove)
    {
        var ticket = await rpc.OpenBulkTransferAsync(new ObjectRequest { Target = "bulky" }, cancellationToken: Cancellation);
        var separator = ticket.Endpoint.LastIndexOf(':');
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(ticket.Endpoint[..separator], int.Parse(ticket.Endpoint[(separator + 1)..], System.Globalization.CultureInfo.InvariantCulture), Cancellation);
        await socket.SendAsync((byte[])[.. ticket.Token.Span, .. prove(ticket.Token.ToByteArray())], SocketFlags.None, Cancellation);
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        for (int count; (count = await socket.ReceiveAsync(buffer, SocketFlags.None, Cancellation)) > 0;)
        {
            received.Write(buffer, 0, count);
        }

        return received.ToArray();
    }

    private static async Task<ObjectStoreToken> WriteTokenAsync(TemporaryDirectory directory, string name)
    {
        var token = ObjectStoreToken.Generate();
        await token.WriteFileAsync(Path.Combine(directory.Path, name), Cancellation);
        return token;
    }
}
