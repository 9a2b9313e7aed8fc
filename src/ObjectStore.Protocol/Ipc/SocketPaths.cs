namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>Where the daemon's socket is when nobody says: the same rule for the daemon and its clients.</summary>
public static class SocketPaths
{
    /// <summary>/var/run/fluid for root, else $XDG_RUNTIME_DIR/fluid, else /tmp/fluid-&lt;user&gt;.</summary>
    public static string DefaultDirectory()
    {
        if (Environment.UserName == "root")
        {
            return "/var/run/fluid";
        }

        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return string.IsNullOrEmpty(runtime) ? $"/tmp/fluid-{Environment.UserName}" : Path.Combine(runtime, "fluid");
    }

    public static string Default(string name = "objectstore") => Path.Combine(DefaultDirectory(), $"{name}.sock");
}
