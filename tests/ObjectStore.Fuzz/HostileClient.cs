using System.Buffers.Binary;
using System.Net.Sockets;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Fuzz;

/// <summary>What one case did to the daemon, and what the daemon did wrong, if anything.</summary>
public sealed class CaseOutcome(FuzzCase fuzzCase)
{
    public FuzzCase Case { get; } = fuzzCase;

    public List<Answer> Answers { get; } = [];

    /// <summary>Rules the daemon broke; empty when it behaved.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Objects the case created, for the caller to delete so that the store does not fill up.</summary>
    public List<ObjectId> Created { get; } = [];

    /// <summary>The case did not run because the store had no room for its blobs (other cases held it).</summary>
    public bool Skipped { get; set; }

    public bool Passed => Problems.Count == 0;

    public string Describe() =>
        $"{Case}: {(Problems.Count == 0 ? "as expected" : string.Join("; ", Problems))}. Answers: [{string.Join(", ", Answers)}]. " +
        $"Sent {Case.Bytes.Length} bytes{(Case.Handshake ? " after a valid Hello" : "")}: {Convert.ToHexString(Case.Bytes.AsSpan(0, Math.Min(Case.Bytes.Length, 160)))}" +
        (Case.Bytes.Length > 160 ? "…" : "");
}

/// <summary>Runs a <see cref="FuzzCase"/> on a connection of its own, and judges the daemon by its answers.</summary>
public static class HostileClient
{
    public static async Task<CaseOutcome> RunAsync(string socketPath, FuzzCase fuzzCase, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var outcome = new CaseOutcome(fuzzCase);
        using var connection = await RawConnection.ConnectAsync(socketPath, cancellationToken);
        var bytes = fuzzCase.Bytes;
        try
        {
            if (fuzzCase.Handshake)
            {
                await connection.HelloAsync(timeout, cancellationToken, $"fuzz-{fuzzCase.Index}");
            }

            if (fuzzCase.BlobSizes.Count > 0)
            {
                await connection.SendAsync(CaseGenerator.Encode(w => new CreateBlobsRequest(fuzzCase.BlobSizes, 0).Write(w)), cancellationToken);
                var answer = await connection.ReadAsync(timeout, cancellationToken);
                if (answer?.Code == ObjectStoreErrorCode.NotEnoughMemory)
                {
                    outcome.Skipped = true;
                    return outcome;
                }

                var blobs = answer?.Message as BlobsResponse
                    ?? throw new IOException($"A valid CreateBlobs was answered with {answer?.ToString() ?? "a close"}.");
                bytes = Patch(bytes, blobs.Blobs);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or WireFormatException)
        {
            outcome.Problems.Add($"the valid start of the conversation failed: {ex.Message}");
            return outcome;
        }

        // Answers are read while the bytes go out: a daemon blocked on sending answers nobody reads would read no more.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = ReadAnswersAsync(connection, outcome, reading.Token);
        var stoppedEarly = false;
        try
        {
            var start = 0;
            foreach (var cut in fuzzCase.Cuts.Append(bytes.Length))
            {
                var end = Math.Min(cut, bytes.Length);
                if (end > start)
                {
                    await connection.SendAsync(bytes.AsMemory(start, end - start), cancellationToken);
                    start = end;
                    if (fuzzCase.Pause)
                    {
                        await Task.Delay(1, cancellationToken);
                    }
                }
            }
        }
        catch (SocketException)
        {
            // The daemon closed first, having judged what it read; its answers say whether that was right.
            stoppedEarly = true;
        }

        if (fuzzCase.Ending == CaseEnding.Abort)
        {
            connection.Dispose();
            await reading.CancelAsync();
            await reader;
            return outcome;
        }

        try
        {
            connection.ShutdownSend();
        }
        catch (SocketException)
        {
            stoppedEarly = true;
        }

        reading.CancelAfter(timeout);
        if (!await reader && !cancellationToken.IsCancellationRequested)
        {
            outcome.Problems.Add($"the daemon neither answered nor closed the connection within {timeout.TotalSeconds:0.#} s of the client's last byte");
        }

        Judge(outcome, stoppedEarly);
        return outcome;
    }

    /// <summary>Reads answers until the daemon closes (true) or the reading is cancelled (false).</summary>
    private static async Task<bool> ReadAnswersAsync(RawConnection connection, CaseOutcome outcome, CancellationToken cancellationToken)
    {
        try
        {
            while (await connection.ReadAsync(Timeout.InfiniteTimeSpan, cancellationToken) is { } answer)
            {
                outcome.Answers.Add(answer);
                if (answer.Message is CreatedResponse created)
                {
                    outcome.Created.Add(created.Id);
                }
            }

            return true;
        }
        catch (WireFormatException ex) when (!cancellationToken.IsCancellationRequested)
        {
            outcome.Problems.Add($"the daemon sent a malformed answer: {ex.Message}");
            return true;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or WireFormatException)
        {
            return false;
        }
    }

    private static void Judge(CaseOutcome outcome, bool stoppedEarly)
    {
        var fuzzCase = outcome.Case;
        var answers = outcome.Answers;
        var fatal = answers.FindIndex(a => a.Code is ObjectStoreErrorCode.ProtocolError or ObjectStoreErrorCode.VersionMismatch);
        if (fatal >= 0 && fatal < answers.Count - 1)
        {
            outcome.Problems.Add($"the daemon answered {answers.Count - fatal - 1} more time(s) after '{answers[fatal]}', which ends the connection");
        }

        if (answers.Find(a => a.Code == ObjectStoreErrorCode.Internal) is { } internalError)
        {
            outcome.Problems.Add($"the daemon failed internally: {internalError.Error!.Message}");
        }

        // A case that sends its own Hello may get a Welcome, as its first answer; any other Welcome is wrong.
        var welcomes = answers.FindAll(a => a.Type == MessageType.Welcome).Count;
        if (welcomes > (fuzzCase.Handshake ? 0 : 1) || (welcomes == 1 && answers[0].Type != MessageType.Welcome))
        {
            outcome.Problems.Add("the daemon sent a Welcome to something other than the first Hello");
        }

        if (stoppedEarly && fatal < 0)
        {
            outcome.Problems.Add("the daemon closed the connection before reading everything, without saying why");
        }

        if (fuzzCase.ExpectedAnswers is { } expected && answers.Count != expected)
        {
            outcome.Problems.Add($"expected {expected} answer(s), got {answers.Count}");
        }

        if (fuzzCase.ExpectedError is { } code)
        {
            if (answers.Count == 0 || answers[^1].Code != code)
            {
                outcome.Problems.Add($"expected the last answer to be an error {code}");
            }
        }
        else if (fuzzCase.ExpectedAnswers is not null && fatal >= 0)
        {
            outcome.Problems.Add($"valid requests got '{answers[fatal]}'");
        }
    }

    /// <summary>Puts the ids of the blobs created for the case where the case has placeholders.</summary>
    private static byte[] Patch(byte[] bytes, IReadOnlyList<BlobLocation> blobs)
    {
        var patched = (byte[])bytes.Clone();
        Span<byte> placeholder = stackalloc byte[8];
        for (var i = 0; i < blobs.Count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(placeholder, CaseGenerator.Placeholder(i));
            var span = patched.AsSpan();
            for (var at = span.IndexOf(placeholder); at >= 0; at = span.IndexOf(placeholder))
            {
                BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at, 8), blobs[i].Id.Value);
                span = span[(at + 8)..];
            }
        }

        return patched;
    }
}
