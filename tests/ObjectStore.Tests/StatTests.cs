using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>Stat: an object's metadata in one round trip, without holding or mapping it; and empty puts.</summary>
public sealed class StatTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stat_gives_the_metadata_by_name_and_by_id_without_holding_the_object()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var baseline = (await client.GetStatsAsync(Cancellation)).Used;
        var id = await client.PutAsync(new byte[200_000], new PutOptions { Name = "stated", Labels = new Dictionary<string, string> { ["step"] = "a" } }, Cancellation);

        var byName = await client.StatAsync("stated", Cancellation);
        var byId = await client.StatAsync(id, Cancellation);

        Assert.Equal(id, byName.Meta.Id);
        Assert.Equal(id, byId.Meta.Id);
        Assert.Equal(200_000, byName.Meta.NBytes);
        Assert.Equal("a", byName.Meta.Labels["step"]);
        Assert.True(byName.IsLocal);

        // Stat held nothing: a delete frees the memory at once, as no reader holds the object.
        await client.DeleteAsync(id, Cancellation);
        Assert.Equal(baseline, (await client.GetStatsAsync(Cancellation)).Used);
    }

    [Fact]
    public async Task Stat_of_an_unknown_object_or_an_unsealed_blob_says_so()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        using var unsealed = await client.CreateBlobAsync(100, Cancellation);

        var missing = await Assert.ThrowsAsync<ObjectStoreException>(() => client.StatAsync("nobody", Cancellation));
        var writing = await Assert.ThrowsAsync<ObjectStoreException>(() => client.StatAsync(unsealed.Id, Cancellation));

        Assert.Equal(ObjectStoreErrorCode.NameNotFound, missing.Code);
        Assert.Contains("nobody", missing.Message, StringComparison.Ordinal);
        Assert.Equal(ObjectStoreErrorCode.ObjectNotSealed, writing.Code);
        Assert.Equal(0, (await client.GetStatsAsync(Cancellation)).Objects);
    }

    [Fact]
    public async Task An_empty_put_reads_back_empty()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);

        var id = await client.PutAsync(ReadOnlyMemory<byte>.Empty, new PutOptions { Name = "empty" }, Cancellation);

        using var handle = await client.GetAsync(id, cancellationToken: Cancellation);
        Assert.Equal(0, handle.Blobs[0].Length);
        Assert.True(handle.Blobs[0].Span.IsEmpty);
        Assert.Equal(0, (await client.StatAsync("empty", Cancellation)).Meta.NBytes);

        var input = Path.Combine(daemon.Directory, "empty.bin");
        var output = Path.Combine(daemon.Directory, "empty-out.bin");
        await File.WriteAllBytesAsync(input, [], Cancellation);
        var put = await daemon.CliAsync(Cancellation, "put", "--from-file", input, "--name", "empty-file");
        Assert.True(put.ExitCode == 0, put.Output);
        var get = await daemon.CliAsync(Cancellation, "get", "empty-file", "--to-file", output);
        Assert.True(get.ExitCode == 0, get.Output);
        Assert.Empty(await File.ReadAllBytesAsync(output, Cancellation));
    }
}
