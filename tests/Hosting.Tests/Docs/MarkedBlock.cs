namespace Fluid.Aspire.Hosting.Tests.Docs;

/// <summary>
/// A code block of a Markdown file marked to be run, by <c>run</c> after its language in the fence's info string:
/// <c>```bash run</c> is a script, run whole; <c>```console run</c> is a transcript of <c>$ </c> commands, each with
/// the output it shows.
/// </summary>
internal sealed record MarkedBlock(string File, int Line, string Language, IReadOnlyList<string> Lines)
{
    private const string Fence = "```";

    public override string ToString() => $"{Path.GetFileName(File)}:{Line} ({Language})";

    /// <summary>The marked blocks of <paramref name="path"/>, in the order they appear.</summary>
    public static IReadOnlyList<MarkedBlock> In(string path)
    {
        var blocks = new List<MarkedBlock>();
        var lines = System.IO.File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var info = lines[i].Trim();
            if (!info.StartsWith(Fence, StringComparison.Ordinal))
            {
                continue;
            }

            var words = info[Fence.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var start = i + 1;
            while (++i < lines.Length && lines[i].Trim() != Fence)
            {
            }

            if (words is [var language, "run", ..])
            {
                blocks.Add(new MarkedBlock(path, start, language, lines[start..i]));
            }
        }

        return blocks;
    }

    /// <summary>The commands of a transcript, each with the first line of output it shows and the exit code it notes.</summary>
    public IReadOnlyList<TranscriptCommand> Commands()
    {
        var commands = new List<TranscriptCommand>();
        foreach (var line in Lines)
        {
            if (line.StartsWith("$ ", StringComparison.Ordinal))
            {
                commands.Add(new TranscriptCommand(line[2..], null, 0));
            }
            else if (commands.Count > 0 && line.StartsWith("(exit ", StringComparison.Ordinal))
            {
                commands[^1] = commands[^1] with { ExitCode = int.Parse(line[6..^1], System.Globalization.CultureInfo.InvariantCulture) };
            }
            else if (commands.Count > 0 && commands[^1].FirstLine is null && line.Trim().Length > 0)
            {
                commands[^1] = commands[^1] with { FirstLine = line };
            }
        }

        return commands;
    }
}

/// <summary>A command of a transcript: what it prints first (null for nothing) and how it exits.</summary>
internal sealed record TranscriptCommand(string Command, string? FirstLine, int ExitCode);
