using System.Globalization;
using Fluid.Aspire.Cli.Output;
using Fluid.Aspire.Contracts;

namespace Fluid.Aspire.Cli.Kinds;

/// <summary>Events, newest last, with kubectl's columns.</summary>
internal sealed class EventKind : StoredKind<Event>
{
    public override string Singular => "event";

    public override IReadOnlyList<string> Names { get; } = ["event", "events", "ev"];

    public override bool HasEvents => false;

    public override IReadOnlyList<Column> Columns { get; } =
    [
        Of("LAST SEEN", (e, now) => Humanize.Age(Describing.LastSeen(e), now)),
        Of("TYPE", e => Cell.State((e.Type ?? EventType.Normal).ToString())),
        Of("REASON", e => e.Reason),
        Of("OBJECT", e => $"{e.InvolvedObject.Kind.ToLowerInvariant()}/{e.InvolvedObject.Name}"),
        Of("SOURCE", e => Describing.Source(e), wide: true),
        Of("MESSAGE", e => Describing.OneLine(e.Message)),
        Of("FIRST SEEN", (e, now) => Humanize.Age(e.FirstTimestamp ?? Describing.LastSeen(e), now), wide: true),
        Of("COUNT", e => e.Count.ToString(CultureInfo.InvariantCulture), wide: true),
        new("NAME", (item, _) => item.Name, Wide: true),
    ];

    protected override IEnumerable<Event> Order(IEnumerable<Event> items) => items.OrderBy(Describing.LastSeen);

    protected override void Describe(Description description, Event e, DateTimeOffset now) =>
        description.Field(0, "Involved Object", $"{e.InvolvedObject.Kind}/{e.InvolvedObject.Name}")
            .State(0, "Type", (e.Type ?? EventType.Normal).ToString())
            .Field(0, "Reason", e.Reason)
            .Field(0, "Message", e.Message)
            .Field(0, "Count", e.Count.ToString(CultureInfo.InvariantCulture))
            .Field(0, "First Seen", Humanize.Timestamp(e.FirstTimestamp, now))
            .Field(0, "Last Seen", Humanize.Timestamp(e.LastTimestamp, now))
            .Field(0, "Source", Describing.Source(e));
}
