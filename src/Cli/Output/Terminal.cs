namespace Fluid.Aspire.Cli.Output;

/// <summary>The colours of state words (phases, condition statuses, event types).</summary>
internal enum Tone
{
    Plain,
    Good,
    Busy,
    Bad,
}

/// <summary>
/// Whether to colour the output: only when stdout is a terminal, so that pipes, files and scripts get plain text,
/// and never when <c>NO_COLOR</c> is set or the terminal is dumb (the conventions other tools follow).
/// </summary>
internal static class Terminal
{
    public static bool Colors { get; } =
        !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && Environment.GetEnvironmentVariable("TERM") is not "dumb";

    /// <summary><paramref name="text"/> in the colour of <paramref name="tone"/>, when colours are on.</summary>
    public static string Paint(string text, Tone tone) =>
        !Colors || tone == Tone.Plain
            ? text
            : $"\u001b[{tone switch { Tone.Good => "32", Tone.Busy => "33", _ => "31" }}m{text}\u001b[0m";

    /// <summary>How a state word reads: settled and well, on its way, or wrong.</summary>
    public static Tone ToneOf(string? state) => state switch
    {
        "Bound" or "Ready" or "Complete" or "True" or "Normal" => Tone.Good,
        "Failed" or "NotReady" or "False" or "Warning" => Tone.Bad,
        "Pending" or "Executing" or "NotBound" or "PartialReady" or "Updating" or "Unknown" => Tone.Busy,
        _ => Tone.Plain,
    };
}
