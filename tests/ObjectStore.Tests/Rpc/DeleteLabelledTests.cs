using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Rpc;
using Fluid.Aspire.TestSupport;
using Grpc.Net.Client;

namespace Fluid.Aspire.ObjectStore.Tests.Rpc;

/// <summary>DeleteLabelled: a dataset's objects go in batches of bounded size, however many there are, and no others go.</summary>
public sealed class DeleteLabelledTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Deleting_by_label_goes_a_batch_per_call_until_none_is_left_and_spares_the_rest()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var local = await daemon.ConnectAsync(Cancellation);
        await PutLabelledAsync(local, 25, "a");
        await PutLabelledAsync(local, 5, "b");
        await local.PutAsync(new byte[16], cancellationToken: Cancellation);
        using var channel = GrpcChannel.ForAddress(daemon.RpcEndpoint);
        var rpc = new ObjectStoreRpc.ObjectStoreRpcClient(channel);

        var replies = new List<(int Deleted, bool More)>();
        DeleteLabelledReply reply;
        do
        {
            reply = await rpc.DeleteLabelledAsync(new DeleteLabelledRequest { Label = "dataset", Value = "a", Limit = 10 }, cancellationToken: Cancellation);
            replies.Add((reply.Deleted, reply.More));
        }
        while (reply.More && replies.Count < 10);

        Assert.Equal([(10, true), (10, true), (5, false)], replies);
        var left = (await local.ListAsync(cancellationToken: Cancellation)).Objects;
        var labels = await Task.WhenAll(left.Select(async o => (await local.StatAsync(o.Id, Cancellation)).Meta.Labels.GetValueOrDefault("dataset")));
        Assert.Equal([null, "b", "b", "b", "b", "b"], labels.Order());
    }

    [Fact]
    public async Task Deleting_by_label_without_a_label_is_refused()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        using var channel = GrpcChannel.ForAddress(daemon.RpcEndpoint);
        var rpc = new ObjectStoreRpc.ObjectStoreRpcClient(channel);

        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await rpc.DeleteLabelledAsync(new DeleteLabelledRequest { Value = "a" }, cancellationToken: Cancellation));

        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
    }

    private static async Task PutLabelledAsync(ObjectStoreClient client, int count, string dataset)
    {
        for (var i = 0; i < count; i++)
        {
            await client.PutAsync(new byte[64], new PutOptions { Labels = new Dictionary<string, string> { ["dataset"] = dataset } }, Cancellation);
        }
    }
}
