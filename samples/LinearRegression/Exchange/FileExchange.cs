namespace Fluid.Aspire.Samples.LinearRegression.Exchange;

/// <summary>An exchange through files in one folder, a file per name: tables in the format of the subclass, bytes as they are.</summary>
public abstract class FileExchange(string folder, string tableExtension) : IDataExchange
{
    public abstract ExchangeMode Mode { get; }

    protected string Folder { get; } = folder;

    public abstract Task PutAsync(string name, IReadOnlyList<string> columns, IReadOnlyList<double[]> values, CancellationToken cancellationToken);

    public abstract Task<ColumnsView> GetAsync(string name, CancellationToken cancellationToken);

    public async Task PutBytesAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        await File.WriteAllBytesAsync(PathOf(name, ".bin"), bytes, cancellationToken);
    }

    public Task<byte[]> GetBytesAsync(string name, CancellationToken cancellationToken) => File.ReadAllBytesAsync(PathOf(name, ".bin"), cancellationToken);

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected string TablePath(string name) => PathOf(name, tableExtension);

    private string PathOf(string name, string extension) => Path.Combine(Folder, $"{name.Replace('/', '.')}{extension}");
}
