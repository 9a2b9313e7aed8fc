using System.Globalization;

namespace Fluid.Aspire.Execution;

/// <summary>
/// What /proc says about processes. A pid alone does not identify a process across a controller restart (pids are
/// reused); the pid together with its start time (clock ticks since boot) and the boot id does.
/// </summary>
internal static class ProcessTable
{
    private static readonly Lazy<string> CurrentBootId = new(() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim());

    /// <summary>Changes at every boot: start times and pids from another boot mean nothing.</summary>
    public static string BootId => CurrentBootId.Value;

    /// <summary>Reads <c>/proc/{pid}/stat</c>; null if there is no such process.</summary>
    public static ProcessStat? TryRead(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return Parse(pid, text);
    }

    /// <summary>
    /// Whether the process that had this start time in this boot is still running. A zombie has ended: it only
    /// waits for its parent (possibly a controller that no longer follows it) to collect its status.
    /// </summary>
    public static bool IsRunning(int pid, long startTicks, string bootId) =>
        bootId == BootId && TryRead(pid) is { } stat && stat.StartTicks == startTicks && !stat.HasEnded;

    /// <summary>The live (not yet ended) processes of a process group.</summary>
    public static IReadOnlyList<ProcessStat> GroupMembers(int processGroup)
    {
        var members = new List<ProcessStat>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && TryRead(pid) is { ProcessGroup: var group, HasEnded: false } stat
                && group == processGroup)
            {
                members.Add(stat);
            }
        }

        return members;
    }

    internal static ProcessStat? Parse(int pid, string text)
    {
        // The command name (field 2) is in parentheses and may itself contain spaces and parentheses: the fields
        // that follow start after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 20)
        {
            return null;
        }

        // fields[0] is field 3 of proc(5): state, ppid, pgrp, session, …, starttime is field 22.
        return new ProcessStat(
            pid,
            fields[0][0],
            int.Parse(fields[1], CultureInfo.InvariantCulture),
            int.Parse(fields[2], CultureInfo.InvariantCulture),
            int.Parse(fields[3], CultureInfo.InvariantCulture),
            long.Parse(fields[19], CultureInfo.InvariantCulture));
    }
}

/// <summary>The fields of <c>/proc/{pid}/stat</c> the executor uses.</summary>
internal sealed record ProcessStat(int Pid, char State, int ParentPid, int ProcessGroup, int Session, long StartTicks)
{
    /// <summary>Zombie (Z) or dead (X, being removed).</summary>
    public bool HasEnded => State is 'Z' or 'X';
}
