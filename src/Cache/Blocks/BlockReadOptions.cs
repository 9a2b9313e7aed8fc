namespace Fluid.Aspire.Cache.Blocks;

/// <summary>How <see cref="TieredBlockStore.GetOrFetchAsync"/> treats the block it returns.</summary>
public sealed record BlockReadOptions
{
    /// <summary>
    /// Pins the block's file (as <see cref="TieredBlockStore.PinAsync"/>) before the block is placed, so that it is
    /// never evicted: for data loaded by a DataLoad.
    /// </summary>
    public bool Pin { get; init; }
}
