using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Fuzz;

/// <summary>What a well-behaved client does while hostile ones attack: put, get back, compare, delete.</summary>
public static class GoodClient
{
    /// <summary>How long a put waits, in all, for memory that hostile connections hold until they close.</summary>
    private static readonly TimeSpan MemoryPatience = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Puts random bytes under a fresh name, gets them by id and by name, compares them and deletes the object.
    /// Returns how many times the put waited for memory; throws when anything differs from what a client must see.
    /// </summary>
    public static async Task<int> CheckAsync(ObjectStoreClient client, Random random, CancellationToken cancellationToken)
    {
        var bytes = new byte[random.Next(4) == 0 ? random.Next(64 * 1024, 512 * 1024) : random.Next(1, 4096)];
        random.NextBytes(bytes);
        var name = $"good-{Guid.NewGuid():N}";
        var (id, waits) = await PutAsync(client, bytes, name, cancellationToken);

        using (var byId = await client.GetAsync(id, cancellationToken: cancellationToken))
        {
            var read = byId.Blobs.Count == 1 ? byId.Blobs[0].Span : [];
            if (!read.SequenceEqual(bytes))
            {
                var at = read.CommonPrefixLength(bytes);
                throw new InvalidOperationException(
                    $"{id} reads back other bytes than the {bytes.Length} put: {read.Length} bytes in {byId.Blobs.Count} blob(s) " +
                    $"({string.Join(", ", byId.Meta.Blobs().Select(b => $"{b.Id} of {b.NBytes} bytes in the metadata"))}), " +
                    $"the first difference at byte {at} ({(at < read.Length ? read[at] : "end")}, not {(at < bytes.Length ? bytes[at] : "end")}).");
            }
        }

        using (var byName = await client.GetAsync(name, cancellationToken: cancellationToken))
        {
            if (byName.Id != id)
            {
                throw new InvalidOperationException($"The name {name} finds {byName.Id}, not {id}.");
            }
        }

        await client.DeleteAsync(id, cancellationToken);
        try
        {
            using var gone = await client.GetAsync(id, cancellationToken: cancellationToken);
            throw new InvalidOperationException($"{id} is still found after its delete was answered.");
        }
        catch (ObjectStoreException ex) when (ex.Code == ObjectStoreErrorCode.ObjectNotFound)
        {
            // As it should be.
        }

        return waits;
    }

    private static async Task<(ObjectId Id, int Waits)> PutAsync(ObjectStoreClient client, byte[] bytes, string name, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + MemoryPatience;
        for (var waits = 0; ; waits++)
        {
            try
            {
                // As ReadOnlyMemory, exactly: an array (or a Memory) would bind to PutAsync<T> and be put as a tensor.
                return (await client.PutAsync(new ReadOnlyMemory<byte>(bytes), new PutOptions { Name = name }, cancellationToken), waits);
            }
            catch (NotEnoughMemoryException) when (DateTime.UtcNow < deadline)
            {
                // Hostile connections may hold blobs for a moment; they are freed when the connections close.
                await Task.Delay(20, cancellationToken);
            }
        }
    }
}
