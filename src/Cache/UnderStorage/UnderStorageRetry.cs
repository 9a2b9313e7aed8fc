using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>
/// Runs a connector's requests with a time limit per attempt and retries with exponential backoff and jitter for the
/// errors its <see cref="IUnderStorageErrors"/> calls transient; turns what is left into the exceptions of
/// <see cref="IUnderStorage"/>, naming the URL.
/// </summary>
internal sealed class UnderStorageRetry
{
    private readonly ResiliencePipeline _pipeline;
    private readonly IUnderStorageErrors _errors;
    private readonly UnderStorageOptions _options;

    public UnderStorageRetry(UnderStorageOptions options, IUnderStorageErrors errors, ILogger logger)
    {
        _options = options;
        _errors = errors;
        var builder = new ResiliencePipelineBuilder();
        if (options.RetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e)),
                MaxRetryAttempts = options.RetryAttempts,
                Delay = options.FirstBackoff,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    logger.LogWarning("Under storage request failed (attempt {Attempt} of {Attempts}), retrying in {Delay} ms: {Error}",
                        args.AttemptNumber + 1, options.RetryAttempts + 1, (int)args.RetryDelay.TotalMilliseconds,
                        args.Outcome.Exception is { } e ? _errors.Explain(e) : "no error");
                    return ValueTask.CompletedTask;
                },
            });
        }

        _pipeline = builder.AddTimeout(options.RequestTimeout).Build();
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds, fails for good, or the retries are spent;
    /// <paramref name="url"/> is what it reads, without credentials, for the messages.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(string url, Func<CancellationToken, ValueTask<T>> attempt, CancellationToken cancellationToken)
    {
        var attempts = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            return await _pipeline.ExecuteAsync(token =>
            {
                attempts++;
                return attempt(token);
            }, cancellationToken);
        }
        catch (Exception e) when (e is UfsFileNotFoundException or UfsFileChangedException or UnderStorageException
                                  || (e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw;
        }
        catch (Exception e) when (IsTransient(e))
        {
            throw new UnderStorageException(
                $"Gave up on {url} after {attempts} attempt(s) in {clock.Elapsed.TotalSeconds:0.0} s; the last error: {_errors.Explain(e).TrimEnd('.')}. " +
                $"Check that the server is up and reachable from this node; the retries are set by UnderStorageOptions " +
                $"(RetryAttempts {_options.RetryAttempts}, FirstBackoff {_options.FirstBackoff.TotalMilliseconds} ms, RequestTimeout {_options.RequestTimeout.TotalSeconds} s).",
                e);
        }
        catch (Exception e)
        {
            throw new UnderStorageException($"Reading {url} failed: {_errors.Explain(e)}", e);
        }
    }

    private bool IsTransient(Exception e) =>
        e switch
        {
            TimeoutRejectedException or TruncatedBodyException => true,
            UfsFileNotFoundException or UfsFileChangedException or UnderStorageException or OperationCanceledException => false,
            _ => _errors.IsTransient(e),
        };
}
