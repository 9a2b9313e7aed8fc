using System.Text;

namespace Fluid.Aspire.Cli.Output;

/// <summary>One cell: its text and the colour it is shown in on a terminal.</summary>
internal readonly record struct Cell(string Text, Tone Tone = Tone.Plain)
{
    public static implicit operator Cell(string? text) => new(Humanize.OrNone(text));

    /// <summary>A state word (phase, status), coloured by what it means.</summary>
    public static Cell State(string? text) => new(Humanize.OrNone(text), Terminal.ToneOf(text));
}

/// <summary>
/// Rows under upper-case headers, each column as wide as its widest cell plus three spaces, as kubectl prints
/// them. Widths come from the plain text, so colours never shift a column.
/// </summary>
internal sealed class Table
{
    private const string Gap = "   ";
    private readonly List<Cell[]> _rows = [];

    public Table(IEnumerable<string> headers)
    {
        Headers = [.. headers];
    }

    public IReadOnlyList<string> Headers { get; }

    public int Count => _rows.Count;

    public void Add(IEnumerable<Cell> cells)
    {
        var row = cells.ToArray();
        if (row.Length != Headers.Count)
        {
            throw new ArgumentException($"A row of {row.Length} cells in a table of {Headers.Count} columns.", nameof(cells));
        }

        _rows.Add(row);
    }

    public override string ToString()
    {
        var widths = Headers.Select((h, i) => _rows.Select(r => r[i].Text.Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        Write(text, Headers.Select(h => new Cell(h)).ToArray(), widths);
        foreach (var row in _rows)
        {
            Write(text, row, widths);
        }

        return text.ToString();
    }

    private static void Write(StringBuilder text, Cell[] row, int[] widths)
    {
        for (var i = 0; i < row.Length; i++)
        {
            text.Append(Terminal.Paint(row[i].Text, row[i].Tone));
            if (i < row.Length - 1)
            {
                text.Append(' ', widths[i] - row[i].Text.Length).Append(Gap);
            }
        }

        text.Append('\n');
    }
}
