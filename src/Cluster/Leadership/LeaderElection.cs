using Etcdserverpb;
using Fluid.Aspire.Cluster.Etcd;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cluster.Leadership;

/// <summary>
/// One leader among several processes, through a key under an etcd lease: whoever creates
/// <c>{prefix}/leaders/{name}</c> leads until its lease goes. A leader stops acting as soon as it cannot confirm its
/// lease for two thirds of the TTL, before anyone else can take over, so that two never act at once.
/// </summary>
public sealed class LeaderElection(EtcdConnection etcd, string name, TimeSpan ttl, ILogger logger)
{
    private volatile bool _isLeader;

    /// <summary>Who this process is in the election: host, process id and a random part.</summary>
    public string Identity { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    public string Key => $"{etcd.Prefix}/leaders/{name}";

    public bool IsLeader => _isLeader;

    /// <summary>
    /// Runs <paramref name="lead"/> whenever this process is the leader; its token is cancelled the moment
    /// leadership is lost. Returns when <paramref name="stoppingToken"/> is cancelled, giving leadership up at once.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken stoppingToken)
    {
        var retry = EtcdRetry.Forever(logger, $"Campaigning for {Key}");
        while (!stoppingToken.IsCancellationRequested)
        {
            var lease = await retry.ExecuteAsync(TryAcquireAsync, stoppingToken);
            if (lease == 0)
            {
                await retry.ExecuteAsync(async token => await WaitForVacancyAsync(token), stoppingToken);
                continue;
            }

            await LeadAsync(lease, lead, stoppingToken);
        }
    }

    private async ValueTask<long> TryAcquireAsync(CancellationToken cancellationToken)
    {
        var grant = await etcd.Leases.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)ttl.TotalSeconds }, cancellationToken: cancellationToken);
        var claim = await etcd.KeyValue.TxnAsync(new TxnRequest
        {
            Compare =
            {
                new Compare
                {
                    Key = EtcdKeys.ToBytes(Key),
                    Target = Compare.Types.CompareTarget.Create,
                    Result = Compare.Types.CompareResult.Equal,
                    CreateRevision = 0,
                },
            },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = EtcdKeys.ToBytes(Key), Value = ByteString.CopyFromUtf8(Identity), Lease = grant.ID } } },
        }, cancellationToken: cancellationToken);
        if (claim.Succeeded)
        {
            return grant.ID;
        }

        await etcd.Leases.LeaseRevokeAsync(new LeaseRevokeRequest { ID = grant.ID }, cancellationToken: cancellationToken);
        return 0;
    }

    private async Task LeadAsync(long lease, Func<CancellationToken, Task> lead, CancellationToken stoppingToken)
    {
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var lastRenewal = new long[] { DateTimeOffset.UtcNow.UtcTicks };
        var keepAlive = Task.Run(async () =>
        {
            try
            {
                await EtcdLeases.KeepAliveAsync(etcd, lease, ttl, leading.Token, at => Interlocked.Exchange(ref lastRenewal[0], at.UtcTicks));
                logger.LogWarning("The leadership lease of {Key} expired.", Key);
            }
            catch (Exception ex) when (ex is RpcException or IOException or OperationCanceledException)
            {
                if (!leading.IsCancellationRequested)
                {
                    logger.LogWarning("Keeping the leadership lease of {Key} failed: {Reason}.", Key, ex.Message);
                }
            }
            finally
            {
                await leading.CancelAsync();
            }
        }, CancellationToken.None);
        var watchdog = Task.Run(async () =>
        {
            // Another process may take over a TTL after our last confirmed renewal: stop well before that.
            while (!leading.IsCancellationRequested)
            {
                var silence = TimeSpan.FromTicks(DateTimeOffset.UtcNow.UtcTicks - Interlocked.Read(ref lastRenewal[0]));
                if (silence > ttl * 2 / 3)
                {
                    logger.LogWarning("No confirmed renewal of {Key} for {Silence}; stepping down.", Key, silence);
                    await leading.CancelAsync();
                    break;
                }

                await Task.Delay(ttl / 10, leading.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }, CancellationToken.None);

        _isLeader = true;
        logger.LogInformation("{Identity} leads {Key}.", Identity, Key);
        try
        {
            await lead(leading.Token);
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
            // Leadership lost or stopping: the work stops here.
        }
        finally
        {
            _isLeader = false;
            await leading.CancelAsync();
            await Task.WhenAll(keepAlive, watchdog);
            await EtcdLeases.TryRevokeAsync(etcd, lease, logger, $"leadership of {Key}", CancellationToken.None);
        }
    }

    /// <summary>Waits until the key is deleted (the leader stepped down or died), or a TTL passes, then campaigns again.</summary>
    private async Task WaitForVacancyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ttl);
        using var call = etcd.Watches.Watch(cancellationToken: timeout.Token);
        var current = await etcd.KeyValue.RangeAsync(new RangeRequest { Key = EtcdKeys.ToBytes(Key) }, cancellationToken: timeout.Token);
        if (current.Kvs.Count == 0)
        {
            return;
        }

        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = EtcdKeys.ToBytes(Key), StartRevision = current.Header.Revision + 1 },
        }, timeout.Token);
        try
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync(timeout.Token))
            {
                if (response.Events.Any(e => e.Type == Mvccpb.Event.Types.EventType.Delete) || response.Canceled)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException || (ex is RpcException { StatusCode: StatusCode.Cancelled } && !cancellationToken.IsCancellationRequested))
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
