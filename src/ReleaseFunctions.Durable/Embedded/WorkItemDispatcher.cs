using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable.Diagnostics;
using ReleaseFunctions.Durable.Storage;
using P = Microsoft.DurableTask.Protobuf;

namespace ReleaseFunctions.Durable.Embedded;

/// <summary>
/// Leases work from the store and hands it to the connected SDK worker: an orchestration episode as an
/// <c>OrchestratorRequest</c> (its history and new events), an activity as an <c>ActivityRequest</c>. The worker's
/// answer is committed in one store transaction. Work waits in the store while no worker is connected, and an
/// item that goes back unanswered is leased again. Idle dispatchers sleep until the nearest due time in the
/// store (on the injected clock) or until new work is signalled.
/// </summary>
internal sealed class WorkItemDispatcher : BackgroundService
{
    private const int OrchestrationLeasers = 2;
    private const int ActivityLeasers = 4;

    private readonly IOrchestrationStore _store;
    private readonly ConnectedWorkers _workers;
    private readonly WorkSignals _signals;
    private readonly TimeProvider _time;
    private readonly EmbeddedBackendOptions _options;
    private readonly StoreReadiness _ready;
    private readonly ILogger _logger;

    public WorkItemDispatcher(
        IOrchestrationStore store,
        ConnectedWorkers workers,
        WorkSignals signals,
        TimeProvider time,
        EmbeddedBackendOptions options,
        StoreReadiness ready,
        ILogger<WorkItemDispatcher> logger)
    {
        _store = store;
        _workers = workers;
        _signals = signals;
        _time = time;
        _options = options;
        _ready = ready;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A store that is down at start (a database restarting) is waited for, not fatal.
        while (true)
        {
            try
            {
                await _ready.EnsureAsync(stoppingToken);
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                EngineLog.StoreError(_logger, _options.ErrorBackoff, ex);
                await DelayAsync(_options.ErrorBackoff, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        using var remoteWork = _store.SubscribeToWork(_signals.Orchestrations.Set, _signals.Activities.Set);
        var loops = new List<Task>();
        loops.AddRange(Enumerable.Range(0, OrchestrationLeasers).Select(_ =>
            Task.Run(() => DispatchAsync(_signals.Orchestrations, w => w.OrchestrationSlots, LeaseEpisodeAsync, stoppingToken), CancellationToken.None)));
        loops.AddRange(Enumerable.Range(0, ActivityLeasers).Select(_ =>
            Task.Run(() => DispatchAsync(_signals.Activities, w => w.ActivitySlots, LeaseActivityAsync, stoppingToken), CancellationToken.None)));
        await Task.WhenAll(loops);
    }

    /// <summary>
    /// One leasing loop: takes a slot on a connected worker, leases one item, and runs it in the background (the
    /// slot goes back when the worker has answered and the answer is committed).
    /// </summary>
    private async Task DispatchAsync(
        WorkSignal signal,
        Func<WorkerStream, SemaphoreSlim> slots,
        Func<WorkerStream, SemaphoreSlim, DateTimeOffset, CancellationToken, Task<bool>> leaseAndRun,
        CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var worker = await _workers.NextAsync(stoppingToken);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, worker.Closed);
                var slot = slots(worker);
                try
                {
                    await slot.WaitAsync(linked.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    continue; // that worker left; take the next one
                }

                // One instant for the look and the sleep: work that became due after the look is due after
                // this instant too, so the sleep ends at once instead of missing it.
                var now = _time.GetUtcNow();
                bool found;
                try
                {
                    found = await leaseAndRun(worker, slot, now, stoppingToken);
                }
                catch
                {
                    slot.Release();
                    throw;
                }

                if (found)
                {
                    signal.Set(); // there may be more: let an idle leaser look too
                    continue;
                }

                slot.Release();
                await SleepUntilWorkAsync(signal, now, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                EngineLog.StoreError(_logger, _options.ErrorBackoff, ex);
                await DelayAsync(_options.ErrorBackoff, stoppingToken);
            }
        }
    }

    private async Task<bool> LeaseEpisodeAsync(WorkerStream worker, SemaphoreSlim slot, DateTimeOffset now, CancellationToken stoppingToken)
    {
        var item = await _store.TryLockNextOrchestrationAsync(now, _options.OrchestrationLease, stoppingToken);
        if (item is null)
        {
            return false;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RunEpisodeAsync(worker, item, now, stoppingToken);
            }
            finally
            {
                slot.Release();
            }
        }, CancellationToken.None);
        return true;
    }

    private async Task RunEpisodeAsync(WorkerStream worker, OrchestrationWorkItem item, DateTimeOffset now, CancellationToken stoppingToken)
    {
        var instanceId = item.Instance.InstanceId;
        using var span = EngineTelemetry.Source.StartActivity("durable.episode", ActivityKind.Internal);
        span?.SetTag("durable.instance_id", instanceId);
        span?.SetTag("durable.orchestrator", item.Instance.Name);
        var started = Stopwatch.GetTimestamp();
        EpisodeCommit commit;
        try
        {
            var episode = Episode.Plan(item, now);
            commit = episode.Settled ?? EpisodeOutcome.ToCommit(episode, await worker.SendAsync<P.OrchestratorResponse>(
                new P.WorkItem { OrchestratorRequest = ToRequest(episode) }, stoppingToken));
        }
        catch (Exception ex) when (ex is WorkItemAbandonedException || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
        {
            EngineLog.WorkItemAbandoned(_logger, "orchestration", instanceId, ex.Message, _options.ErrorBackoff);
            await AbandonAsync(item);
            return;
        }
        catch (OperationCanceledException)
        {
            await AbandonAsync(item);
            return;
        }
        catch (Exception ex)
        {
            EngineLog.EpisodeError(_logger, instanceId, _options.ErrorBackoff, ex);
            await AbandonAsync(item);
            return;
        }

        try
        {
            await _store.CommitEpisodeAsync(commit, _time.GetUtcNow(), CancellationToken.None);
        }
        catch (LeaseLostException)
        {
            EngineLog.EpisodeLeaseLost(_logger, instanceId);
            return;
        }
        catch (Exception ex)
        {
            // The lease runs out and the episode runs again: nothing it decided was written.
            EngineLog.EpisodeError(_logger, instanceId, _options.OrchestrationLease, ex);
            return;
        }

        EngineTelemetry.Episodes.Add(1);
        EngineTelemetry.EpisodeDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        foreach (var fired in item.Messages.Select(m => m.Event).OfType<TimerFiredEvent>())
        {
            EngineTelemetry.TimerLateness.Record((now - fired.FireAt).TotalMilliseconds);
        }

        EngineLog.EpisodeCommitted(_logger, instanceId, item.Instance.Name, commit.NewHistory.Count, commit.Update.Status);
        if (commit.Update is { Status: OrchestrationRuntimeStatus.Failed, Failure: { } failure })
        {
            EngineLog.OrchestrationFailed(_logger, instanceId, item.Instance.Name, failure.ToString());
        }

        if (commit.Activities.Count > 0)
        {
            _signals.Activities.Set();
        }

        // Always: besides what this episode sent, messages may have reached the instance while it was leased, and
        // the leaser that saw them then found the instance busy.
        _signals.Orchestrations.Set();

        _signals.Changes.Set(); // clients waiting for a start or a completion look again
    }

    private async Task AbandonAsync(OrchestrationWorkItem item)
    {
        try
        {
            await _store.AbandonOrchestrationAsync(item.Instance.InstanceId, item.LeaseToken, _time.GetUtcNow() + _options.ErrorBackoff, CancellationToken.None);
            _signals.Orchestrations.Set();
        }
        catch (Exception ex)
        {
            EngineLog.StoreError(_logger, _options.OrchestrationLease, ex); // the lease runs out instead
        }
    }

    private static P.OrchestratorRequest ToRequest(Episode episode)
    {
        var instanceId = episode.Instance.InstanceId;
        var request = new P.OrchestratorRequest { InstanceId = instanceId, ExecutionId = episode.Started?.ExecutionId ?? episode.Instance.ExecutionId };
        foreach (var e in episode.WorkItem.History)
        {
            if (ProtocolMapping.IsReplayed(e))
            {
                request.PastEvents.Add(ProtocolMapping.ToProto(e, instanceId));
            }
        }

        foreach (var e in episode.NewEvents)
        {
            if (ProtocolMapping.IsReplayed(e))
            {
                request.NewEvents.Add(ProtocolMapping.ToProto(e, instanceId));
            }
        }

        return request;
    }

    private async Task<bool> LeaseActivityAsync(WorkerStream worker, SemaphoreSlim slot, DateTimeOffset now, CancellationToken stoppingToken)
    {
        var item = await _store.TryLockNextActivityAsync(now, _options.ActivityLease, stoppingToken);
        if (item is null)
        {
            return false;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RunActivityAsync(worker, item, stoppingToken);
            }
            finally
            {
                slot.Release();
            }
        }, CancellationToken.None);
        return true;
    }

    private async Task RunActivityAsync(WorkerStream worker, ActivityWorkItem item, CancellationToken stoppingToken)
    {
        using var span = EngineTelemetry.Source.StartActivity("durable.activity", ActivityKind.Internal);
        span?.SetTag("durable.instance_id", item.InstanceId);
        span?.SetTag("durable.activity", item.Name);
        using var leaseLost = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewal = RenewLeaseAsync(item, leaseLost);
        P.ActivityResponse response;
        try
        {
            response = await worker.SendAsync<P.ActivityResponse>(new P.WorkItem
            {
                ActivityRequest = new P.ActivityRequest
                {
                    Name = item.Name,
                    Input = item.Input,
                    TaskId = item.TaskId,
                    OrchestrationInstance = new P.OrchestrationInstance { InstanceId = item.InstanceId, ExecutionId = item.ExecutionId },
                },
            }, leaseLost.Token);
        }
        catch (Exception ex) when (ex is WorkItemAbandonedException or OperationCanceledException)
        {
            // The lease runs out and the activity runs again (at least once, as activities are).
            await leaseLost.CancelAsync();
            await renewal;
            if (!stoppingToken.IsCancellationRequested)
            {
                EngineLog.WorkItemAbandoned(_logger, $"activity {item.Name}", item.InstanceId, ex.Message, _options.ActivityLease);
            }

            return;
        }

        await leaseLost.CancelAsync();
        await renewal;
        var failure = ProtocolMapping.FromProto(response.FailureDetails);
        HistoryEvent result = failure is null
            ? new TaskCompletedEvent(item.TaskId, response.Result)
            : new TaskFailedEvent(item.TaskId, failure);
        result = result with { Timestamp = _time.GetUtcNow(), TargetExecutionId = item.ExecutionId };
        try
        {
            await _store.CompleteActivityAsync(item, result, _time.GetUtcNow(), CancellationToken.None);
        }
        catch (LeaseLostException)
        {
            EngineLog.ActivityLeaseLost(_logger, item.Name, item.TaskId, item.InstanceId);
            return;
        }
        catch (Exception ex)
        {
            EngineLog.StoreError(_logger, _options.ActivityLease, ex);
            return;
        }

        EngineTelemetry.Activities.Add(1);
        EngineLog.ActivityFinished(_logger, item.Name, item.TaskId, item.InstanceId, result.Kind, item.DeliveryCount);
        _signals.Orchestrations.Set();
    }

    private async Task RenewLeaseAsync(ActivityWorkItem item, CancellationTokenSource running)
    {
        var every = _options.ActivityLease / 2;
        try
        {
            while (true)
            {
                await Task.Delay(every, _time, running.Token);
                if (!await _store.RenewActivityLeaseAsync(item, _time.GetUtcNow(), _options.ActivityLease, running.Token))
                {
                    await running.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            EngineLog.StoreError(_logger, every, ex); // a renewal that failed is retried by the lease running out
        }
    }

    private async Task SleepUntilWorkAsync(WorkSignal signal, DateTimeOffset now, CancellationToken stoppingToken)
    {
        var next = await _store.GetNextWakeUpAsync(now, stoppingToken);
        var latest = now + _options.MaxIdleWait;
        await signal.WaitAsync(next is { } due && due < latest ? due : latest, _time, stoppingToken);
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, _time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
