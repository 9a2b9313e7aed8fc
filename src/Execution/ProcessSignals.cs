using System.Runtime.InteropServices;

namespace Fluid.Aspire.Execution;

/// <summary>
/// The few Linux calls .NET does not offer: signalling a whole process group, asking whether a file is executable
/// for this user, and appending with O_APPEND (.NET's FileMode.Append seeks instead, which can overwrite lines that
/// another process appended in between).
/// </summary>
internal static partial class ProcessSignals
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    private const int XOk = 1;
    private const int OWriteOnly = 0x1;
    private const int OCreate = 0x40;
    private const int OAppend = 0x400;
    private const int OCloexec = 0x80000;
    private const int EIntr = 4;
    private const int ESrch = 3;

    /// <summary>Sends <paramref name="signal"/> to every process of the group; false when the group is empty.</summary>
    public static bool SignalGroup(int processGroup, int signal)
    {
        // kill(0) and kill(-1) would hit our own group or every process we may signal: never let a bad id through.
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(processGroup, 1);
        if (Kill(-processGroup, signal) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == ESrch
            ? false
            : throw new IOException($"Sending signal {signal} to process group {processGroup} failed: {Marshal.GetPInvokeErrorMessage(errno)}.");
    }

    /// <summary>Whether this process may execute the file, by the same rules as execve.</summary>
    public static bool IsExecutable(string path) => Access(path, XOk) == 0;

    /// <summary>Appends the bytes as one write(2) on an O_APPEND descriptor, so that they land whole after whatever other writers appended.</summary>
    public static void Append(string path, ReadOnlySpan<byte> bytes)
    {
        var fd = Open(path, OWriteOnly | OCreate | OAppend | OCloexec, 0b110_100_100);
        if (fd < 0)
        {
            throw new IOException($"Opening {path} for appending failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}.");
        }

        try
        {
            while (!bytes.IsEmpty)
            {
                var written = Write(fd, bytes, bytes.Length);
                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EIntr)
                    {
                        continue;
                    }

                    throw new IOException($"Appending to {path} failed: {Marshal.GetPInvokeErrorMessage(errno)}.");
                }

                bytes = bytes[(int)written..];
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, ReadOnlySpan<byte> buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
