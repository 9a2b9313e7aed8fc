using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>Names map to objects: unique, droppable, validated, and gone with their object.</summary>
public sealed class NameTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_name_finds_its_object_and_cannot_be_given_twice()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var first = await client.PutAsync("one"u8.ToArray(), new PutOptions { Name = "x_train" }, Cancellation);

        var taken = await Assert.ThrowsAsync<ObjectStoreException>(
            () => client.PutAsync("two"u8.ToArray(), new PutOptions { Name = "x_train" }, Cancellation));
        Assert.Equal(ObjectStoreErrorCode.NameTaken, taken.Code);
        Assert.Contains(first.ToString(), taken.Message, StringComparison.Ordinal);

        using var found = await client.GetAsync("x_train", cancellationToken: Cancellation);
        Assert.Equal(first, found.Id);
        Assert.Equal("one"u8.ToArray(), found.Blobs[0].Span.ToArray());
    }

    [Fact]
    public async Task A_dropped_name_can_name_another_object_and_an_object_can_have_several()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var first = await client.PutAsync("one"u8.ToArray(), new PutOptions { Name = "model" }, Cancellation);
        var second = await client.PutAsync("two"u8.ToArray(), cancellationToken: Cancellation);

        await client.DropNameAsync("model", Cancellation);
        await client.PutNameAsync("model", second, Cancellation);
        await client.PutNameAsync("model-v2", second, Cancellation);

        using var model = await client.GetAsync("model", cancellationToken: Cancellation);
        Assert.Equal(second, model.Id);
        var listing = await client.ListAsync("model", cancellationToken: Cancellation);
        Assert.Equal(["model", "model-v2"], Assert.Single(listing.Objects).Names.Order(StringComparer.Ordinal));
        using var stillThere = await client.GetAsync(first, cancellationToken: Cancellation);
    }

    [Fact]
    public async Task Deleting_an_object_frees_its_names_and_unknown_names_and_ids_are_reported()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutAsync("bytes"u8.ToArray(), new PutOptions { Name = "temp" }, Cancellation);

        await client.DeleteAsync("temp", Cancellation);

        var byName = await Assert.ThrowsAsync<ObjectStoreException>(() => client.GetAsync("temp", cancellationToken: Cancellation));
        Assert.Equal(ObjectStoreErrorCode.NameNotFound, byName.Code);
        var byId = await Assert.ThrowsAsync<ObjectStoreException>(() => client.GetAsync(id, cancellationToken: Cancellation));
        Assert.Equal(ObjectStoreErrorCode.ObjectNotFound, byId.Code);
        Assert.Contains(id.ToString(), byId.Message, StringComparison.Ordinal);
        var drop = await Assert.ThrowsAsync<ObjectStoreException>(() => client.DropNameAsync("temp", Cancellation));
        Assert.Equal(ObjectStoreErrorCode.NameNotFound, drop.Code);
        await client.PutAsync("again"u8.ToArray(), new PutOptions { Name = "temp" }, Cancellation);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("o0123456789abcdef")]
    public async Task Invalid_names_are_refused_with_the_rule(string name)
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);

        var error = await Assert.ThrowsAsync<ObjectStoreException>(
            () => client.PutAsync("x"u8.ToArray(), new PutOptions { Name = name }, Cancellation));

        Assert.Equal(ObjectStoreErrorCode.InvalidArgument, error.Code);
        Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await client.GetStatsAsync(Cancellation)).Objects);
    }

    [Fact]
    public async Task Persisting_without_a_cluster_says_how_to_join_one()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);

        var error = await Assert.ThrowsAsync<ObjectStoreException>(
            () => client.PutAsync("x"u8.ToArray(), new PutOptions { Persist = true }, Cancellation));

        Assert.Contains("--etcd", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await client.GetStatsAsync(Cancellation)).Objects);
    }
}
