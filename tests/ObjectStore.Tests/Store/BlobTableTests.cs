using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Store;

namespace Fluid.Aspire.ObjectStore.Tests.Store;

/// <summary>The blob table's counts follow every blob through its states, without scanning.</summary>
public sealed class BlobTableTests
{
    [Fact]
    public void Counts_by_state_and_spilled_bytes_follow_adds_changes_and_removals()
    {
        var table = new BlobTable();
        var blobs = Enumerable.Range(1, 5).Select(i => new Blob(new ObjectId((ulong)i), default(BlobSpace), i * 100, owner: null)).ToArray();
        foreach (var blob in blobs)
        {
            table.Add(blob);
        }

        blobs[0].Length = 50;
        blobs[0].State = BlobState.Sealed;
        blobs[1].State = BlobState.Sealed;
        blobs[1].State = BlobState.Spilling;
        blobs[1].State = BlobState.Spilled;
        blobs[2].State = BlobState.Sealed;
        blobs[2].State = BlobState.Spilling;
        blobs[2].State = BlobState.Spilled;

        Assert.Equal((2, 1, 0, 2), Census(table));
        Assert.Equal(200 + 300, table.SpilledBytes);

        blobs[2].State = BlobState.Sealed;
        Assert.True(table.Remove(blobs[1]));
        Assert.False(table.Remove(blobs[1]));
        Assert.True(table.Remove(blobs[3]));

        Assert.Equal((1, 2, 0, 0), Census(table));
        Assert.Equal(0, table.SpilledBytes);
        Assert.Equal(3, table.Count);

        // A blob out of the table changes state without touching its counts.
        blobs[1].State = BlobState.Sealed;
        Assert.Equal((1, 2, 0, 0), Census(table));
    }

    [Fact]
    public void Removing_a_blob_that_was_replaced_under_its_id_leaves_the_replacement_and_its_counts()
    {
        var table = new BlobTable();
        var id = new ObjectId(7);
        var first = new Blob(id, default(BlobSpace), 100, owner: null);
        table.Add(first);
        Assert.True(table.Remove(first));
        var second = new Blob(id, default(BlobSpace), 300, owner: null);
        table.Add(second);
        second.State = BlobState.Sealed;

        Assert.False(table.Remove(first));

        Assert.True(table.TryGetValue(id, out var present));
        Assert.Same(second, present);
        Assert.Equal((0, 1, 0, 0), Census(table));
    }

    private static (int Unsealed, int Sealed, int Spilling, int Spilled) Census(BlobTable table) =>
        (table.CountIn(BlobState.Unsealed), table.CountIn(BlobState.Sealed), table.CountIn(BlobState.Spilling), table.CountIn(BlobState.Spilled));
}
