using Fluid.Aspire.CacheAgent.Client;

namespace Fluid.Sdk;

/// <summary>A dataset's files read through the node's cache agent, which caches the runtime of the same name.</summary>
internal sealed class CachedDatasetFiles(CacheAgentClient agent, string node, string namespaceName, string name) : IDatasetFiles
{
    public string Source => $"the cache agent of node {node}";

    public async Task<IReadOnlyList<DatasetFileEntry>> ListAsync(CancellationToken cancellationToken) =>
        (await agent.ListFilesAsync(namespaceName, name, cancellationToken)).Files;

    public Task<Stream> OpenReadAsync(DatasetFileEntry file, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new AgentFileStream(agent, namespaceName, name, file));
}
