using System.Text;

namespace Fluid.Aspire.Cli.Output;

/// <summary>
/// The text of <c>fluid describe</c>, as kubectl describe lays it out: <c>Key:</c> value lines whose values line up
/// within each run of lines at one indentation, nested sections indented by two spaces, and tables under dashed
/// headers.
/// </summary>
internal sealed class Description
{
    private const int Padding = 2;
    private readonly List<Entry> _entries = [];

    /// <summary>A <c>Key:  value</c> line; an empty value shows as <c>&lt;none&gt;</c>.</summary>
    public Description Field(int level, string key, string? value, Tone tone = Tone.Plain)
    {
        _entries.Add(new FieldEntry(level, key + ":", Humanize.OrNone(value), tone));
        return this;
    }

    /// <summary>A state word (phase, status) in the colour of what it means.</summary>
    public Description State(int level, string key, string? value) => Field(level, key, value, Terminal.ToneOf(value));

    /// <summary>A section title; its fields follow one level deeper.</summary>
    public Description Section(int level, string title)
    {
        _entries.Add(new TextEntry(level, title + ":"));
        return this;
    }

    /// <summary>A map as <c>key=value</c>, one per line, the first beside the key (kubectl's Labels and Annotations).</summary>
    public Description Map(int level, string key, IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 0)
        {
            return Field(level, key, null);
        }

        var first = true;
        foreach (var (name, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            _entries.Add(new FieldEntry(level, first ? key + ":" : "", $"{name}={value}", Tone.Plain));
            first = false;
        }

        return this;
    }

    /// <summary>A table under <paramref name="title"/>, or <c>Title:  &lt;none&gt;</c> when it has no rows.</summary>
    public Description Table(int level, string title, IReadOnlyList<string> headers, IReadOnlyList<Cell[]> rows)
    {
        if (rows.Count == 0)
        {
            return Field(level, title, null);
        }

        Section(level, title);
        _entries.Add(new TableEntry(level + 1, headers, rows));
        return this;
    }

    /// <summary>Lines shown as they are, indented (a log tail).</summary>
    public Description Text(int level, string text)
    {
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            _entries.Add(new TextEntry(level, line.TrimEnd('\r')));
        }

        return this;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        for (var i = 0; i < _entries.Count; i++)
        {
            switch (_entries[i])
            {
                case FieldEntry field:
                    // The values of a run of fields at one level start in one column.
                    var run = _entries.Skip(i).TakeWhile(e => e is FieldEntry f && f.Level == field.Level).Cast<FieldEntry>().ToArray();
                    var width = run.Max(f => f.Key.Length) + Padding;
                    foreach (var line in run)
                    {
                        var indent = new string(' ', line.Level * 2);
                        var continuation = "\n" + indent + new string(' ', width);
                        text.Append(indent).Append(line.Key.PadRight(width))
                            .Append(Terminal.Paint(line.Value.Replace("\n", continuation, StringComparison.Ordinal), line.Tone)).Append('\n');
                    }

                    i += run.Length - 1;
                    break;
                case TableEntry table:
                    WriteTable(text, table);
                    break;
                case TextEntry line:
                    text.Append(' ', line.Level * 2).Append(line.Text).Append('\n');
                    break;
            }
        }

        return text.ToString();
    }

    private static void WriteTable(StringBuilder text, TableEntry table)
    {
        var headers = table.Headers.Select(h => new Cell(h)).ToArray();
        var dashes = table.Headers.Select(h => new Cell(new string('-', h.Length))).ToArray();
        Cell[][] rows = [headers, dashes, .. table.Rows];
        var widths = table.Headers.Select((_, i) => rows.Max(r => r[i].Text.Length)).ToArray();
        foreach (var row in rows)
        {
            text.Append(' ', table.Level * 2);
            for (var i = 0; i < row.Length; i++)
            {
                text.Append(Terminal.Paint(row[i].Text, row[i].Tone));
                if (i < row.Length - 1)
                {
                    text.Append(' ', widths[i] - row[i].Text.Length + Padding);
                }
            }

            text.Append('\n');
        }
    }

    private abstract record Entry(int Level);

    private sealed record FieldEntry(int Level, string Key, string Value, Tone Tone) : Entry(Level);

    private sealed record TextEntry(int Level, string Text) : Entry(Level);

    private sealed record TableEntry(int Level, IReadOnlyList<string> Headers, IReadOnlyList<Cell[]> Rows) : Entry(Level);
}
