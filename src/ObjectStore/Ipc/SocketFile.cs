using System.Net.Sockets;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>The daemon's socket in the file system: created with the right mode, and never stolen from a live daemon.</summary>
internal static class SocketFile
{
    /// <summary>The most bytes a socket path may have (sun_path holds 108, with a terminating zero).</summary>
    public const int MaxPathBytes = 107;

    public static Socket Listen(string path)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            throw new InvalidOperationException(
                $"The socket path '{path}' is longer than the {MaxPathBytes} bytes Unix sockets allow; choose a shorter --socket.");
        }

        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        if (File.Exists(path))
        {
            if (IsServed(path))
            {
                throw new InvalidOperationException(
                    $"Another daemon serves {path}. Stop it, or give this one another --socket.");
            }

            // Left by a daemon that died: nobody listens on it any more.
            File.Delete(path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            listener.Listen(512);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    public static void Remove(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Already gone, or the directory was removed: nothing to clean.
        }
    }

    private static bool IsServed(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
