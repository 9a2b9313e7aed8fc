using System.Globalization;
using System.Text;

namespace Fluid.Aspire.Execution;

/// <summary>
/// The step log's format, one line per record: <c>{UTC time, ms} {stream} {text}</c>, where the stream is
/// <c>out</c> or <c>err</c> for the step's output and <c>fluid</c> for what the executor and its wrapper note
/// (attempt headers, stops, ends). Lines are appended whole with O_APPEND by every writer.
/// </summary>
internal static class StepLog
{
    public const string OutStream = "out";
    public const string ErrStream = "err";
    public const string FluidStream = "fluid";

    /// <summary>Appends a <c>fluid</c> line.</summary>
    public static void Note(string path, string text)
    {
        var line = $"{DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)} {FluidStream} {text.ReplaceLineEndings(" ")}\n";
        ProcessSignals.Append(path, Encoding.UTF8.GetBytes(line));
    }

    /// <summary>
    /// Rotates the log if it is larger than <paramref name="maxBytes"/>: <c>path.1</c> … <c>path.{maxFiles-1}</c> move up
    /// by one (the last goes) and the log becomes <c>path.1</c>. The wrapper does the same while a step writes.
    /// </summary>
    public static void RotateIfLarger(string path, long maxBytes, int maxFiles)
    {
        if (LengthOf(path) <= maxBytes)
        {
            return;
        }

        for (var generation = maxFiles - 1; generation >= 1; generation--)
        {
            var older = generation == 1 ? path : $"{path}.{generation - 1}";
            if (File.Exists(older))
            {
                File.Move(older, $"{path}.{generation}", overwrite: true);
            }
        }
    }

    public static long LengthOf(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? file.Length : 0;
    }

    /// <summary>
    /// The last output lines (streams out and err) after <paramref name="offset"/>: at most
    /// <paramref name="maxLines"/> lines and <paramref name="maxBytes"/> UTF-8 bytes, oldest first. A last line
    /// longer than the byte bound is kept by its end, after an ellipsis.
    /// </summary>
    public static IReadOnlyList<string> ReadTail(string path, long offset, int maxLines, int maxBytes)
    {
        if (maxLines == 0 || maxBytes == 0)
        {
            return [];
        }

        byte[] window;
        bool startsMidLine;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

            // fluid lines and the time and stream prefixes do not count against the bound: read a few times more.
            // A log shorter than where the attempt began was rotated meanwhile: the attempt's last lines are all
            // in the new file.
            var length = file.Length;
            if (length < offset)
            {
                offset = 0;
            }

            var start = Math.Max(offset, length - Math.Max(64 * 1024, 4L * maxBytes));
            if (start >= length)
            {
                return [];
            }

            file.Position = start;
            window = new byte[length - start];
            file.ReadExactly(window);
            startsMidLine = start > offset && !PrecededByNewline(file, start);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }

        var text = Encoding.UTF8.GetString(window);
        var lines = text.Split('\n');
        var first = startsMidLine ? 1 : 0;
        var tail = new List<string>();
        var bytes = 0;
        for (var i = lines.Length - 1; i >= first && tail.Count < maxLines; i--)
        {
            var line = lines[i];
            if (!IsOutput(line))
            {
                continue;
            }

            var size = Encoding.UTF8.GetByteCount(line) + 1;
            if (bytes + size > maxBytes)
            {
                if (tail.Count == 0)
                {
                    tail.Add(KeepEnd(line, maxBytes));
                }

                break;
            }

            bytes += size;
            tail.Add(line);
        }

        tail.Reverse();
        return tail;
    }

    /// <summary>The text of an output line, without its time and stream.</summary>
    public static string TextOf(string line) => StepLogLine.TryParse(line, out var parsed) ? parsed.Text : "";

    public static bool IsError(string line) => StepLogLine.TryParse(line, out var parsed) && parsed.Stream == ErrStream;

    private static bool IsOutput(string line) => StepLogLine.TryParse(line, out var parsed) && parsed.IsOutput;

    private static bool PrecededByNewline(FileStream file, long position)
    {
        file.Position = position - 1;
        return file.ReadByte() == '\n';
    }

    private static string KeepEnd(string line, int maxBytes)
    {
        const string Ellipsis = "…";
        var budget = maxBytes - Encoding.UTF8.GetByteCount(Ellipsis) - 1;
        var start = line.Length;
        var size = 0;
        while (start > 0)
        {
            var charSize = Encoding.UTF8.GetByteCount(line.AsSpan(start - 1, 1));
            if (size + charSize > budget)
            {
                break;
            }

            size += charSize;
            start--;
        }

        return Ellipsis + line[start..];
    }
}
