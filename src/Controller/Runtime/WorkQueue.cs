namespace Fluid.Aspire.Controller.Runtime;

/// <summary>
/// The queue of keys (namespace/name) that reconcilers work through, with the guarantees level-triggered
/// controllers need: a key is queued at most once however often it is added; a key is never processed by two
/// workers at once, and one added while being processed is processed again afterwards; failures back off
/// exponentially per key; keys can be added after a delay (timers, retries) measured on an injectable clock.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "The work queue of Kubernetes controllers: the name users know.")]
public sealed class WorkQueue<TKey> : IDisposable
    where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly Queue<TKey> _queue = new();
    private readonly HashSet<TKey> _dirty = [];
    private readonly HashSet<TKey> _processing = [];
    private readonly Dictionary<TKey, int> _failures = [];
    private readonly Dictionary<TKey, ITimer> _delayed = [];
    private readonly SemaphoreSlim _available = new(0);
    private readonly TimeProvider _clock;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;
    private bool _shutDown;

    public WorkQueue(TimeProvider? clock = null, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null)
    {
        _clock = clock ?? TimeProvider.System;
        _baseDelay = baseDelay ?? TimeSpan.FromMilliseconds(50);
        _maxDelay = maxDelay ?? TimeSpan.FromMinutes(5);
    }

    /// <summary>Keys waiting to be processed.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Queues a key unless it is already waiting; a key being processed is queued again once done.</summary>
    public void Add(TKey key)
    {
        lock (_gate)
        {
            if (_shutDown || !_dirty.Add(key))
            {
                return;
            }

            if (!_processing.Contains(key))
            {
                _queue.Enqueue(key);
                _available.Release();
            }
        }
    }

    /// <summary>Queues a key after <paramref name="delay"/>; an earlier pending delay for the key wins.</summary>
    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        lock (_gate)
        {
            if (_shutDown)
            {
                return;
            }

            var due = _clock.GetUtcNow() + delay;
            if (_delayed.TryGetValue(key, out var pending) && pending is DelayedAdd earlier && earlier.Due <= due)
            {
                return;
            }

            pending?.Dispose();
            _delayed[key] = new DelayedAdd(this, key, due, _clock, delay);
        }
    }

    /// <summary>Queues a key again after a delay that doubles with each consecutive failure of the key.</summary>
    public TimeSpan AddRateLimited(TKey key)
    {
        TimeSpan delay;
        lock (_gate)
        {
            var failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
            var factor = Math.Pow(2, Math.Min(failures, 30));
            delay = TimeSpan.FromTicks((long)Math.Min(_baseDelay.Ticks * factor, _maxDelay.Ticks));
        }

        AddAfter(key, delay);
        return delay;
    }

    /// <summary>Clears a key's failure count, once it was processed successfully.</summary>
    public void Forget(TKey key)
    {
        lock (_gate)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>How many times in a row the key has failed.</summary>
    public int Failures(TKey key)
    {
        lock (_gate)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>Waits for the next key and marks it as being processed; call <see cref="Done"/> when finished.</summary>
    /// <returns>The key, or no value once the queue is shut down.</returns>
    public async Task<(bool Ok, TKey Key)> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _available.WaitAsync(cancellationToken);
            lock (_gate)
            {
                if (_shutDown)
                {
                    _available.Release();
                    return (false, default!);
                }

                if (_queue.TryDequeue(out var key))
                {
                    _dirty.Remove(key);
                    _processing.Add(key);
                    return (true, key);
                }
            }
        }
    }

    /// <summary>Ends the processing of a key; if it was added meanwhile, it is queued again.</summary>
    public void Done(TKey key)
    {
        lock (_gate)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key) && !_shutDown)
            {
                _queue.Enqueue(key);
                _available.Release();
            }
        }
    }

    /// <summary>Stops handing out keys; workers waiting in <see cref="TakeAsync"/> return.</summary>
    public void ShutDown()
    {
        lock (_gate)
        {
            _shutDown = true;
            foreach (var timer in _delayed.Values)
            {
                timer.Dispose();
            }

            _delayed.Clear();
            _available.Release();
        }
    }

    public void Dispose()
    {
        ShutDown();
        _available.Dispose();
    }

    private void FireDelayed(TKey key, DelayedAdd timer)
    {
        lock (_gate)
        {
            if (!_delayed.TryGetValue(key, out var current) || current != timer)
            {
                return;
            }

            _delayed.Remove(key);
        }

        timer.Dispose();
        Add(key);
    }

    /// <summary>A key waiting for its time, on the queue's clock.</summary>
    private sealed class DelayedAdd : ITimer
    {
        private readonly ITimer _timer;

        public DelayedAdd(WorkQueue<TKey> queue, TKey key, DateTimeOffset due, TimeProvider clock, TimeSpan delay)
        {
            Due = due;
            _timer = clock.CreateTimer(_ => queue.FireDelayed(key, this), null, delay, Timeout.InfiniteTimeSpan);
        }

        public DateTimeOffset Due { get; }

        public bool Change(TimeSpan dueTime, TimeSpan period) => _timer.Change(dueTime, period);

        public void Dispose() => _timer.Dispose();

        public ValueTask DisposeAsync() => _timer.DisposeAsync();
    }
}
