using System.Net.Sockets;

namespace Fluid.Aspire.Cluster.Sockets;

/// <summary>A node daemon's Unix socket in the file system: created with the right mode, and never stolen from a live daemon.</summary>
public static class SocketFile
{
    /// <summary>The most bytes a socket path may have (sun_path holds 108, with a terminating zero).</summary>
    public const int MaxPathBytes = 107;

    /// <summary>The mode of a daemon's socket: its user and group may connect (connecting needs write permission).</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <inheritdoc cref="Claim"/>
    public static Socket Listen(string path, string setting)
    {
        Claim(path, setting);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, Mode);
            listener.Listen(512);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes <paramref name="path"/> free to bind: its directory created, and a socket file left by a daemon that died
    /// removed.
    /// </summary>
    /// <param name="path">The socket's path.</param>
    /// <param name="setting">The setting that chooses the path, named in errors (e.g. <c>--socket</c>).</param>
    /// <exception cref="InvalidOperationException">The path is too long for a Unix socket, or a live daemon serves it.</exception>
    public static void Claim(string path, string setting)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            throw new InvalidOperationException(
                $"The socket path '{path}' is longer than the {MaxPathBytes} bytes Unix sockets allow; choose a shorter {setting}.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path))
        {
            if (IsServed(path))
            {
                throw new InvalidOperationException($"Another daemon serves {path}. Stop it, or give this one another {setting}.");
            }

            // Left by a daemon that died: nobody listens on it any more.
            File.Delete(path);
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
