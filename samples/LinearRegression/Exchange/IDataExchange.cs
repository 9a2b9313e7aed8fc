namespace Fluid.Aspire.Samples.LinearRegression.Exchange;

/// <summary>How steps hand data to each other, so that the same computations can run over each and be compared.</summary>
public enum ExchangeMode
{
    /// <summary>Through the object store: written once into shared memory, read in place.</summary>
    ObjectStore,

    /// <summary>Through Parquet files on local disk: what a pipeline without the store does.</summary>
    Files,

    /// <summary>Through Arrow IPC files on /dev/shm: the strongest file-based baseline (memory, no encoding).</summary>
    ArrowShm,
}

/// <summary>Named columns of doubles as a step reads them; the memory is valid until disposed.</summary>
public sealed class ColumnsView(IReadOnlyList<string> names, IReadOnlyList<ReadOnlyMemory<double>> columns, IDisposable? owner = null) : IDisposable
{
    public IReadOnlyList<string> Names { get; } = names;

    public IReadOnlyList<ReadOnlyMemory<double>> Columns { get; } = columns;

    public int Rows => Columns.Count == 0 ? 0 : Columns[0].Length;

    public void Dispose() => owner?.Dispose();
}

/// <summary>Puts and gets named sets of double columns (a feature matrix, a target, a model).</summary>
public interface IDataExchange : IAsyncDisposable
{
    ExchangeMode Mode { get; }

    Task PutAsync(string name, IReadOnlyList<string> columns, IReadOnlyList<double[]> values, CancellationToken cancellationToken);

    Task<ColumnsView> GetAsync(string name, CancellationToken cancellationToken);
}
