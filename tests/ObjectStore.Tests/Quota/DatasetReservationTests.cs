using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Rpc;
using Fluid.Aspire.TestSupport;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fluid.Aspire.ObjectStore.Tests.Quota;

/// <summary>
/// A dataset's reservation on a real daemon: its objects may use up to its quota and no more, and objects of no
/// reserved dataset cannot use the memory set aside for it.
/// </summary>
public sealed class DatasetReservationTests
{
    private const string Dataset = "default.housing";
    private const int MiB = 1024 * 1024;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Puts_of_the_dataset_beyond_its_quota_fail_naming_the_dataset_its_quota_and_its_use()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "16Mi");
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var channel = GrpcChannel.ForAddress(daemon.RpcEndpoint);
        var rpc = new ObjectStoreRpc.ObjectStoreRpcClient(channel);
        await rpc.SetReservationAsync(new ReservationRequest { Dataset = Dataset, Bytes = 2 * MiB }, cancellationToken: Cancellation);

        await client.PutAsync(new byte[MiB + (MiB / 2)], Labelled(Dataset), Cancellation);
        var refused = await Assert.ThrowsAsync<NotEnoughMemoryException>(() => client.PutAsync(new byte[MiB], Labelled(Dataset), Cancellation));

        Assert.Contains("dataset default.housing has a quota of 2 MiB", refused.Message, StringComparison.Ordinal);
        Assert.Contains("use 1.5 MiB", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Raise the MEM quota", refused.Message, StringComparison.Ordinal);
        var usage = await rpc.SetReservationAsync(new ReservationRequest { Dataset = Dataset, Bytes = 2 * MiB }, cancellationToken: Cancellation);
        Assert.Equal((2L * MiB, MiB + (MiB / 2L), 1), (usage.Reserved, usage.Used, usage.Objects));
    }

    [Fact]
    public async Task Other_puts_cannot_use_the_memory_reserved_for_a_dataset_and_can_once_it_is_released()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "16Mi");
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var channel = GrpcChannel.ForAddress(daemon.RpcEndpoint);
        var rpc = new ObjectStoreRpc.ObjectStoreRpcClient(channel);
        var capacity = (await client.GetStatsAsync(Cancellation)).Capacity;
        await rpc.SetReservationAsync(new ReservationRequest { Dataset = Dataset, Bytes = capacity - (4 * MiB) }, cancellationToken: Cancellation);

        await client.PutAsync(new byte[3 * MiB], cancellationToken: Cancellation);
        var unlabelled = await Assert.ThrowsAsync<NotEnoughMemoryException>(() => client.PutAsync(new byte[2 * MiB], cancellationToken: Cancellation));
        var otherDataset = await Assert.ThrowsAsync<NotEnoughMemoryException>(() => client.PutAsync(new byte[2 * MiB], Labelled("default.other"), Cancellation));
        await client.PutAsync(new byte[8 * MiB], Labelled(Dataset), Cancellation);

        Assert.Contains("reserved for dataset(s) default.housing", unlabelled.Message, StringComparison.Ordinal);
        Assert.Contains("reserved for dataset(s) default.housing", otherDataset.Message, StringComparison.Ordinal);
        await rpc.SetReservationAsync(new ReservationRequest { Dataset = Dataset, Bytes = 0 }, cancellationToken: Cancellation);
        await client.PutAsync(new byte[2 * MiB], cancellationToken: Cancellation);
    }

    [Fact]
    public async Task A_reservation_that_does_not_fit_the_store_is_refused_with_the_reason()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "16Mi");
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var channel = GrpcChannel.ForAddress(daemon.RpcEndpoint);
        var rpc = new ObjectStoreRpc.ObjectStoreRpcClient(channel);
        await rpc.SetReservationAsync(new ReservationRequest { Dataset = "default.other", Bytes = 10 * MiB }, cancellationToken: Cancellation);

        var tooLarge = await Assert.ThrowsAsync<RpcException>(async () =>
            await rpc.SetReservationAsync(new ReservationRequest { Dataset = Dataset, Bytes = 8 * MiB }, cancellationToken: Cancellation));
        await client.PutAsync(new byte[5 * MiB], cancellationToken: Cancellation);
        var crowded = await Assert.ThrowsAsync<RpcException>(async () =>
            await rpc.SetReservationAsync(new ReservationRequest { Dataset = Dataset, Bytes = 2 * MiB }, cancellationToken: Cancellation));

        Assert.Equal(StatusCode.ResourceExhausted, tooLarge.StatusCode);
        Assert.Contains("reserving 8 MiB for dataset default.housing does not fit", tooLarge.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("10 MiB is reserved for dataset(s) default.other (10 MiB)", tooLarge.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("which already use 5 MiB", crowded.Status.Detail, StringComparison.Ordinal);
    }

    private static PutOptions Labelled(string dataset) =>
        new() { Labels = new Dictionary<string, string> { ["fluid.io/dataset"] = dataset } };
}
