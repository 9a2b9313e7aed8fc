using Fluid.Aspire.Cache.UnderStorage;

namespace Fluid.Aspire.Cache.Tests.Reading;

/// <summary>
/// A real under storage that counts, for every byte of every file, how many times it was fetched (by range or out of
/// a stream), and how many ranges and streams were asked for.
/// </summary>
internal sealed class CountingUnderStorage(IUnderStorage inner) : IUnderStorage
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int[]> _fetchesPerByte = [];
    private int _ranges;
    private int _streams;

    public string Describe => inner.Describe;

    public int Ranges => Volatile.Read(ref _ranges);

    public int Streams => Volatile.Read(ref _streams);

    /// <summary>How many times each byte of the file was fetched (all 0 when never).</summary>
    public int[] FetchesPerByte(UfsFile file)
    {
        lock (_gate)
        {
            return [.. _fetchesPerByte.GetValueOrDefault(Key(file)) ?? new int[file.Length]];
        }
    }

    public long BytesFetched()
    {
        lock (_gate)
        {
            return _fetchesPerByte.Values.Sum(counts => counts.Sum(c => (long)c));
        }
    }

    public IAsyncEnumerable<UfsFile> ListAsync(CancellationToken cancellationToken) => inner.ListAsync(cancellationToken);

    public Task<UfsFile> StatAsync(string path, CancellationToken cancellationToken) => inner.StatAsync(path, cancellationToken);

    public async Task ReadAsync(UfsFile file, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _ranges);
        await inner.ReadAsync(file, offset, destination, cancellationToken);
        Count(file, offset, destination.Length);
    }

    public async Task<Stream> OpenReadAsync(UfsFile file, long offset, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _streams);
        return new CountingStream(await inner.OpenReadAsync(file, offset, cancellationToken), (position, count) => Count(file, position, count), offset);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private void Count(UfsFile file, long offset, int length)
    {
        lock (_gate)
        {
            var counts = _fetchesPerByte.TryGetValue(Key(file), out var known) ? known : _fetchesPerByte[Key(file)] = new int[file.Length];
            for (var i = offset; i < offset + length; i++)
            {
                counts[i]++;
            }
        }
    }

    private static string Key(UfsFile file) => $"{file.Path}\0{file.Version}";

    private sealed class CountingStream(Stream inner, Action<long, int> counted, long position) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            counted(position, read);
            position += read;
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
