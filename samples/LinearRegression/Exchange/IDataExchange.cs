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

/// <summary>Puts and gets named sets of double columns (a feature matrix, a target), and named bytes (a trained model).</summary>
public interface IDataExchange : IAsyncDisposable
{
    ExchangeMode Mode { get; }

    Task PutAsync(string name, IReadOnlyList<string> columns, IReadOnlyList<double[]> values, CancellationToken cancellationToken);

    Task<ColumnsView> GetAsync(string name, CancellationToken cancellationToken);

    Task PutBytesAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    Task<byte[]> GetBytesAsync(string name, CancellationToken cancellationToken);
}
