using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Fuzz;

/// <summary>How a hostile connection ends once it has sent its bytes.</summary>
public enum CaseEnding
{
    /// <summary>Shut down the sending side and read every answer until the daemon closes: the daemon must close.</summary>
    HalfClose,

    /// <summary>Close at once, answers unread and perhaps in the middle of a frame.</summary>
    Abort,
}

/// <summary>
/// One hostile connection: what it sends, in which pieces, and what the daemon must answer when that is known.
/// The same seed and index always give the same case, so that a failure can be replayed alone.
/// </summary>
public sealed record FuzzCase
{
    public required long Index { get; init; }

    /// <summary>What the case tries, e.g. <c>mutated</c> or <c>wrong-version</c>; failures and statistics are grouped by it.</summary>
    public required string Kind { get; init; }

    /// <summary>Send a valid Hello and read the Welcome before <see cref="Bytes"/>.</summary>
    public bool Handshake { get; init; }

    /// <summary>
    /// After the handshake, create blobs of these sizes with a valid CreateBlobs; their ids replace
    /// <see cref="CaseGenerator.Placeholder"/> values in <see cref="Bytes"/>, so that a case can seal real blobs.
    /// </summary>
    public IReadOnlyList<long> BlobSizes { get; init; } = [];

    /// <summary>The bytes sent after the handshake (or instead of it).</summary>
    public required byte[] Bytes { get; init; }

    /// <summary>Offsets in <see cref="Bytes"/> where one send ends and the next begins.</summary>
    public IReadOnlyList<int> Cuts { get; init; } = [];

    /// <summary>Wait a moment between sends, so that the daemon sees each piece on its own.</summary>
    public bool Pause { get; init; }

    public CaseEnding Ending { get; init; }

    /// <summary>For a stream of valid requests: how many answers it gets (Release and DropBlobs get none).</summary>
    public int? ExpectedAnswers { get; init; }

    /// <summary>The error the daemon must answer with, as its last frame before closing.</summary>
    public ObjectStoreErrorCode? ExpectedError { get; init; }

    public override string ToString() => $"case {Index} ({Kind})";
}
