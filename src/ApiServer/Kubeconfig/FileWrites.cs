namespace Fluid.Aspire.ApiServer.Kubeconfig;

/// <summary>Files that readers must never see half-written, created with their permissions from the start.</summary>
internal static class FileWrites
{
    /// <summary>Writes <paramref name="text"/> to a temporary file of mode <paramref name="mode"/>, then moves it over <paramref name="path"/>.</summary>
    public static void Replace(string path, string text, UnixFileMode mode)
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        using (var file = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(text);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
