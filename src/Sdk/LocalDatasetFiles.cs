using Fluid.Aspire.CacheAgent.Client;

namespace Fluid.Sdk;

/// <summary>A dataset's files in a directory of this node: its <c>local://</c> mount, where the step was given it.</summary>
internal sealed class LocalDatasetFiles(string directory) : IDatasetFiles
{
    public string Source => directory;

    public Task<IReadOnlyList<DatasetFileEntry>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<DatasetFileEntry>>([.. new DirectoryInfo(directory)
            .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.None })
            .Select(f => new DatasetFileEntry("/" + Path.GetRelativePath(directory, f.FullName).Replace('\\', '/'), f.Length, Version: null))]);

    public Task<Stream> OpenReadAsync(DatasetFileEntry file, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(File.OpenRead(Path.Join(directory, file.Path)));
}
