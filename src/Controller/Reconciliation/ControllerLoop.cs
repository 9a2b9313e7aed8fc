using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.Controller.Runtime;

namespace Fluid.Aspire.Controller.Reconciliation;

/// <summary>
/// One kind's control loop: an informer feeds a work queue, and parallel workers run the reconciler for each key.
/// A conflict (someone wrote the resource meanwhile) is retried at once against the fresh copy; any other failure
/// backs off exponentially for that key alone.
/// </summary>
public sealed class ControllerLoop<T> : IDisposable
    where T : Resource
{
    private readonly Informer<T> _informer;
    private readonly IReconciler<T> _reconciler;
    private readonly WorkQueue<string> _queue;
    private readonly int _workers;
    private readonly ILogger _logger;

    public ControllerLoop(Informer<T> informer, IReconciler<T> reconciler, int workers, TimeProvider clock, ILogger logger)
    {
        _informer = informer;
        _reconciler = reconciler;
        _workers = workers;
        _logger = logger;
        _queue = new WorkQueue<string>(clock);
        informer.Changed += (before, after) => Enqueue(ResourceKeys.Of((after ?? before)!));
    }

    public Informer<T> Informer => _informer;

    public void Enqueue(string key) => _queue.Add(key);

    public void EnqueueAfter(string key, TimeSpan delay) => _queue.AddAfter(key, delay);

    public void EnqueueAll()
    {
        foreach (var item in _informer.List())
        {
            Enqueue(ResourceKeys.Of(item));
        }
    }

    public void Dispose() => _queue.Dispose();

    /// <summary>Follows the kind and reconciles until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var informing = _informer.RunAsync(cancellationToken);
        await _informer.Synced.WaitAsync(cancellationToken);
        var workers = Enumerable.Range(0, _workers).Select(_ => Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(workers.Append(informing));
        }
        finally
        {
            _queue.ShutDown();
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            (bool Ok, string Key) next;
            try
            {
                next = await _queue.TakeAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!next.Ok)
            {
                return;
            }

            try
            {
                var again = await _reconciler.ReconcileAsync(next.Key, _informer.Get(next.Key), cancellationToken);
                _queue.Forget(next.Key);
                if (again is { } delay)
                {
                    _queue.AddAfter(next.Key, delay);
                }
            }
            catch (ResourceConflictException)
            {
                // Our copy was stale; the watch brings the fresh one, and the key comes round again.
                _queue.AddAfter(next.Key, TimeSpan.FromMilliseconds(20));
            }
            catch (ResourceNotFoundException)
            {
                // Deleted while we worked on it (a run replaced by the next): the watch brings the deletion, and the
                // key comes round again to find it gone. Nothing failed.
                _queue.AddAfter(next.Key, TimeSpan.FromMilliseconds(20));
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var delay = _queue.AddRateLimited(next.Key);
                _logger.LogWarning("Reconciling {Kind} {Key} failed ({Reason}); retrying in {Delay}.",
                    typeof(T).Name, next.Key, ex.Message, delay);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                _queue.Done(next.Key);
            }
        }
    }
}
