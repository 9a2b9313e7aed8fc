using System.Globalization;

namespace Fluid.Aspire.Execution;

/// <summary>One record of a step log: <c>{UTC time, ms} {stream} {text}</c> (see the executor's log format).</summary>
/// <param name="Time">When the line was written.</param>
/// <param name="Stream"><c>out</c>, <c>err</c>, or <c>fluid</c> for what the executor notes.</param>
/// <param name="Text">The line as the step wrote it.</param>
public readonly record struct StepLogLine(DateTimeOffset Time, string Stream, string Text)
{
    /// <summary>True for what the step wrote to stdout or stderr, false for the executor's notes.</summary>
    public bool IsOutput => Stream is StepLog.OutStream or StepLog.ErrStream;

    public static bool TryParse(string line, out StepLogLine parsed)
    {
        parsed = default;
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0 || !DateTimeOffset.TryParseExact(line.AsSpan(0, space), "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var time))
        {
            return false;
        }

        var second = line.IndexOf(' ', space + 1);
        parsed = second < 0
            ? new StepLogLine(time, line[(space + 1)..], "")
            : new StepLogLine(time, line[(space + 1)..second], line[(second + 1)..]);
        return true;
    }
}
