using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Fluid.Aspire.Execution;

/// <summary>
/// The files of a step under the logs directory, all in <c>{logs}/{namespace}/</c>:
/// <list type="bullet">
/// <item><c>{step}.log</c>: the log of every attempt, appended to, each attempt after a header line.</item>
/// <item><c>{step}.attempt.json</c>: the record of the latest attempt (<see cref="AttemptRecord"/>), written by the executor once the wrapper runs and before the command starts.</item>
/// <item><c>{step}.exit</c>: how the latest attempt ended, written by the wrapper when it ended (<see cref="ExitRecord"/>).</item>
/// </list>
/// </summary>
internal sealed class StepFiles(string logsDirectory, string @namespace, string stepName)
{
    public string Key { get; } = $"{@namespace}/{stepName}";

    public string Directory { get; } = Path.Combine(logsDirectory, @namespace);

    public string Log => Path.Combine(Directory, $"{stepName}.log");

    public string Record => Path.Combine(Directory, $"{stepName}.attempt.json");

    public string Exit => Path.Combine(Directory, $"{stepName}.exit");

    /// <summary>Where the wrapper gathers the exit record before renaming it to <see cref="Exit"/>.</summary>
    public string ExitInProgress => Exit + ".tmp";
}

/// <summary>
/// What the executor knows about a running attempt, on disk so that the next controller process knows it too. The
/// wrapper is identified by pid, start time in clock ticks since boot (<c>/proc/{pid}/stat</c> field 22), and boot
/// id: pids are reused, that triple is not.
/// </summary>
internal sealed record AttemptRecord
{
    public required string Namespace { get; init; }

    public required string StepName { get; init; }

    public required string RunId { get; init; }

    public required int Attempt { get; init; }

    public required string NodeName { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public required IReadOnlyList<string> CommandLine { get; init; }

    public required string WorkingDirectory { get; init; }

    /// <summary>The wrapper (bash running fluid-step.sh): session and group leader; its end means the attempt ended.</summary>
    public required int WrapperPid { get; init; }

    public required long WrapperStartTicks { get; init; }

    /// <summary>The step's main process, leader of the step's process group.</summary>
    public required int ProcessId { get; init; }

    public required string BootId { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Where this attempt's part of the log begins (at its header line).</summary>
    public required long LogOffset { get; init; }

    /// <summary>Set once the executor began to stop the attempt, and why.</summary>
    public StopReason? Stop { get; init; }

    public static AttemptRecord? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<AttemptRecord>(File.ReadAllBytes(path), JsonOptions)
                ?? throw new InvalidDataException($"{path} holds no attempt record.");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not a readable attempt record ({ex.Message}). It was written by the executor; delete it if the step is known not to run.", ex);
        }
    }

    /// <summary>Writes the record whole or not at all (a temporary file renamed over the old one).</summary>
    public void Write(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions));
        File.Move(temporary, path, overwrite: true);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}

/// <summary>The wrapper's record of how the step ended: <c>key=value</c> lines (see fluid-step.sh).</summary>
internal sealed record ExitRecord(int Status, DateTimeOffset? Ended, bool ExecFailed, bool Aborted)
{
    /// <summary>Null if the file does not exist (the attempt has not ended, or ended without a record).</summary>
    public static ExitRecord? TryRead(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        int? status = null;
        DateTimeOffset? ended = null;
        bool execFailed = false, aborted = false;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (key, value) = line.IndexOf('=', StringComparison.Ordinal) is var at and > 0 ? (line[..at], line[(at + 1)..]) : (line, "");
            switch (key)
            {
                case "status" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed):
                    status = parsed;
                    break;
                case "ended" when decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds):
                    ended = DateTimeOffset.UnixEpoch + TimeSpan.FromTicks((long)(seconds * TimeSpan.TicksPerSecond));
                    break;
                case "execfailed":
                    execFailed = value == "1";
                    break;
                case "aborted":
                    aborted = value == "1";
                    break;
                default:
                    // Unknown keys come from a newer wrapper: ignore them.
                    break;
            }
        }

        return status is { } code
            ? new ExitRecord(code, ended, execFailed, aborted)
            : throw new InvalidDataException($"{path} has no status line; it was written by the step wrapper, which should always write one.");
    }
}
