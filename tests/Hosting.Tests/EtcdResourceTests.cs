using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Hosting.Etcd;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>The etcd resource run by Aspire's orchestrator, as the AppHost runs it.</summary>
public sealed class EtcdResourceTests
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(2);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Data_survives_a_restart_unless_a_clean_start_is_asked_for()
    {
        EtcdServer.RequireBinary();
        using var data = new TemporaryDirectory();

        await RunEtcdAsync(data.Path, cleanStart: false, etcd => PutAsync(etcd, "/fluid/test/key", "kept"));

        var afterRestart = "";
        await RunEtcdAsync(data.Path, cleanStart: false, async etcd => afterRestart = await GetAsync(etcd, "/fluid/test/key"));
        Assert.Equal("kept", afterRestart);

        var afterCleanStart = "unset";
        await RunEtcdAsync(data.Path, cleanStart: true, async etcd => afterCleanStart = await GetAsync(etcd, "/fluid/test/key"));
        Assert.Equal("", afterCleanStart);
    }

    private static async Task RunEtcdAsync(string dataDirectory, bool cleanStart, Func<EtcdConnection, Task> use)
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddEtcd("etcd").WithDataDirectory(dataDirectory).WithCleanStart(cleanStart);
        await using var app = await builder.BuildAsync(Cancellation);
        await app.StartAsync(Cancellation);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("etcd", Cancellation).WaitAsync(StartupTimeout, Cancellation);

        var connectionString = await app.GetConnectionStringAsync("etcd", Cancellation);
        Assert.Matches(@"^http://127\.0\.0\.1:\d+$", connectionString);
        using var connection = new EtcdConnection(ClusterConnectionString.Parse(connectionString));
        await use(connection);
        await app.StopAsync(Cancellation);
    }

    private static async Task PutAsync(EtcdConnection etcd, string key, string value) =>
        await etcd.KeyValue.PutAsync(
            new PutRequest { Key = EtcdKeys.ToBytes(key), Value = EtcdKeys.ToBytes(value) }, cancellationToken: Cancellation);

    private static async Task<string> GetAsync(EtcdConnection etcd, string key)
    {
        var range = await etcd.KeyValue.RangeAsync(new RangeRequest { Key = EtcdKeys.ToBytes(key) }, cancellationToken: Cancellation);
        return range.Kvs.Count == 0 ? "" : range.Kvs[0].Value.ToStringUtf8();
    }
}
