namespace Fluid.Aspire.TestSupport;

/// <summary>A directory of a test's own, deleted with everything in it on dispose.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory() => Path = Directory.CreateTempSubdirectory("fluid-test-").FullName;

    public string Path { get; }

    /// <summary>Creates an empty file and returns its full path.</summary>
    public string CreateFile(string name)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(file, []);
        return file;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
