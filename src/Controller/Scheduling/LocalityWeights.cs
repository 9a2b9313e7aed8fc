namespace Fluid.Aspire.Controller.Scheduling;

/// <summary>
/// The points a node earns for being near a copy of an input or near the previous step's node, by tier. The defaults
/// are Fluid's tiered locality (node 100, zone 50, region 20) with a rack tier between node and zone, which only
/// applies when both nodes carry <c>fluid.io/rack</c>. Set a weight to 0 to turn its tier off.
/// </summary>
public sealed record LocalityWeights
{
    public static LocalityWeights Default { get; } = new();

    public double SameNode { get; init; } = 100;

    public double SameRack { get; init; } = 75;

    public double SameZone { get; init; } = 50;

    public double SameRegion { get; init; } = 20;

    /// <summary>The problems with these weights, each naming the weight and how to fix it.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var (name, value) in new[]
                 {
                     (nameof(SameNode), SameNode), (nameof(SameRack), SameRack),
                     (nameof(SameZone), SameZone), (nameof(SameRegion), SameRegion),
                 })
        {
            if (!double.IsFinite(value) || value < 0 || value > 1_000_000)
            {
                yield return $"Locality weight {name} is {value}: use a number from 0 (tier off) to 1,000,000.";
            }
        }
    }
}
