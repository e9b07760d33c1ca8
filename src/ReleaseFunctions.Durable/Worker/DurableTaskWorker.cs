using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable.Diagnostics;
using ReleaseFunctions.Durable.Execution;
using ReleaseFunctions.Durable.Storage;

namespace ReleaseFunctions.Durable.Worker;

/// <summary>
/// Runs episodes and activities from the store. Each episode dispatcher takes one work item at a time; a few activity
/// dispatchers lease activities while fewer than the maximum run and run each in the background, so activities
/// waiting on I/O do not mean as many loops polling the store. An idle dispatcher sleeps until the nearest due
/// time in the store or until new work is signalled.
/// </summary>
internal sealed class DurableTaskWorker : BackgroundService
{
    private const int ActivityLeasers = 4;

    private readonly IOrchestrationStore _store;
    private readonly OrchestrationExecutor _executor;
    private readonly TaskRegistry _registry;
    private readonly IServiceScopeFactory _scopes;
    private readonly DataConverter _converter;
    private readonly WorkSignals _signals;
    private readonly TimeProvider _time;
    private readonly DurableTaskWorkerOptions _options;
    private readonly ILogger _logger;

    public DurableTaskWorker(
        IOrchestrationStore store,
        TaskRegistry registry,
        IServiceProvider services,
        IServiceScopeFactory scopes,
        DataConverter converter,
        WorkSignals signals,
        TimeProvider time,
        DurableTaskWorkerOptions options,
        ILogger<DurableTaskWorker> logger)
    {
        _store = store;
        _registry = registry;
        _scopes = scopes;
        _converter = converter;
        _signals = signals;
        _time = time;
        _options = options;
        _logger = logger;
        _executor = new OrchestrationExecutor(registry, services, converter, logger);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A store that is down at start (a database restarting) is waited for, not fatal.
        while (true)
        {
            try
            {
                await _store.InitializeAsync(stoppingToken);
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                EngineLog.StoreError(_logger, _options.ErrorBackoff, ex);
                await DelayAsync(_options.ErrorBackoff, stoppingToken);
            }
        }

        using var remoteWork = _store.SubscribeToWork(_signals.Orchestrations.Set, _signals.Activities.Set);
        EngineLog.WorkerStarted(_logger, _options.MaxConcurrentOrchestrations, _options.MaxConcurrentActivities);
        var loops = new List<Task>();
        for (var i = 0; i < _options.MaxConcurrentOrchestrations; i++)
        {
            loops.Add(Task.Run(() => DispatchAsync(_signals.Orchestrations, RunNextEpisodeAsync, stoppingToken), CancellationToken.None));
        }

        loops.Add(Task.Run(() => DispatchActivitiesAsync(stoppingToken), CancellationToken.None));
        await Task.WhenAll(loops);
    }

    private async Task DispatchActivitiesAsync(CancellationToken stoppingToken)
    {
        // Not disposed: a finishing activity may release its slot after the dispatcher has stopped.
        var slots = new SemaphoreSlim(_options.MaxConcurrentActivities, _options.MaxConcurrentActivities);
        var running = new ConcurrentDictionary<long, Task>();
        long started = 0;
        // A few leasing loops, not one per slot: enough to keep the slots busy, few enough not to crowd the store.
        var leasers = Enumerable.Range(0, Math.Min(ActivityLeasers, _options.MaxConcurrentActivities))
            .Select(_ => Task.Run(() => DispatchAsync(_signals.Activities, LeaseNextActivityAsync, stoppingToken, waitForCapacity: slots.WaitAsync), CancellationToken.None));
        await Task.WhenAll(leasers);
        await Task.WhenAll(running.Values);

        async Task<bool> LeaseNextActivityAsync(DateTimeOffset now, CancellationToken cancellationToken)
        {
            ActivityWorkItem? item;
            try
            {
                item = await _store.TryLockNextActivityAsync(now, _options.ActivityLease, cancellationToken);
            }
            catch
            {
                slots.Release();
                throw;
            }

            if (item is null)
            {
                slots.Release();
                return false;
            }

            // Tracked before it starts, so its removal when it ends cannot come first.
            var id = Interlocked.Increment(ref started);
            var tracked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            running[id] = Task.Run(
                async () =>
                {
                    await tracked.Task;
                    try
                    {
                        await RunLeasedActivityAsync(item, stoppingToken);
                    }
                    finally
                    {
                        running.TryRemove(id, out _);
                        slots.Release();
                    }
                },
                CancellationToken.None);
            tracked.SetResult();
            return true;
        }
    }

    /// <param name="waitForCapacity">Waited for before each look; <paramref name="runNext"/> gives it back when it finds nothing.</param>
    private async Task DispatchAsync(WorkSignal signal, Func<DateTimeOffset, CancellationToken, Task<bool>> runNext, CancellationToken stoppingToken,
        Func<CancellationToken, Task>? waitForCapacity = null)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (waitForCapacity is not null)
                {
                    await waitForCapacity(stoppingToken);
                }

                // One instant for the look and the sleep: work that became due after the look is due after
                // this instant too, so the sleep ends at once instead of missing it.
                var now = _time.GetUtcNow();
                if (await runNext(now, stoppingToken))
                {
                    signal.Set(); // there may be more: let an idle dispatcher look too
                    continue;
                }

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

    private async Task<bool> RunNextEpisodeAsync(DateTimeOffset now, CancellationToken stoppingToken)
    {
        var item = await _store.TryLockNextOrchestrationAsync(now, _options.OrchestrationLease, stoppingToken);
        if (item is null)
        {
            return false;
        }

        using var span = EngineTelemetry.Source.StartActivity("durable.episode", ActivityKind.Internal);
        span?.SetTag("durable.instance_id", item.Instance.InstanceId);
        span?.SetTag("durable.orchestrator", item.Instance.Name);
        var started = Stopwatch.GetTimestamp();
        EpisodeCommit commit;
        try
        {
            commit = _executor.Execute(item, now);
        }
        catch (Exception ex)
        {
            EngineLog.EpisodeError(_logger, item.Instance.InstanceId, _options.ErrorBackoff, ex);
            await _store.AbandonOrchestrationAsync(item.Instance.InstanceId, item.LeaseToken, now + _options.ErrorBackoff, CancellationToken.None);
            return true;
        }

        try
        {
            await _store.CommitEpisodeAsync(commit, _time.GetUtcNow(), CancellationToken.None);
        }
        catch (LeaseLostException)
        {
            EngineLog.EpisodeLeaseLost(_logger, item.Instance.InstanceId);
            return true;
        }

        EngineTelemetry.Episodes.Add(1);
        EngineTelemetry.EpisodeDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        foreach (var fired in item.Messages.Select(m => m.Event).OfType<TimerFiredEvent>())
        {
            EngineTelemetry.TimerLateness.Record((now - fired.FireAt).TotalMilliseconds);
        }

        EngineLog.EpisodeCommitted(_logger, item.Instance.InstanceId, item.Instance.Name, commit.NewHistory.Count, commit.Update.Status);
        if (commit.Update is { Status: OrchestrationRuntimeStatus.Failed, Failure: { } failure })
        {
            EngineLog.OrchestrationFailed(_logger, item.Instance.InstanceId, item.Instance.Name, failure.ToString());
        }

        if (commit.Activities.Count > 0)
        {
            _signals.Activities.Set();
        }

        if (commit.Update.Status.IsTerminal())
        {
            _signals.Completions.Set();
        }

        return true;
    }

    /// <summary>Runs a leased activity and records its result; a store failure is logged and the lease left to expire, so it runs again.</summary>
    private async Task RunLeasedActivityAsync(ActivityWorkItem item, CancellationToken stoppingToken)
    {
        try
        {
            await RunActivityToCompletionAsync(item, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            EngineLog.StoreError(_logger, _options.ActivityLease, ex);
        }
    }

    private async Task RunActivityToCompletionAsync(ActivityWorkItem item, CancellationToken stoppingToken)
    {
        using var span = EngineTelemetry.Source.StartActivity("durable.activity", ActivityKind.Internal);
        span?.SetTag("durable.instance_id", item.InstanceId);
        span?.SetTag("durable.activity", item.Name);
        using var leaseLost = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewal = RenewLeaseAsync(item, leaseLost);
        HistoryEvent result;
        try
        {
            result = await RunActivityAsync(item, leaseLost.Token);
        }
        catch (OperationCanceledException) when (leaseLost.IsCancellationRequested)
        {
            await leaseLost.CancelAsync();
            await renewal;
            if (stoppingToken.IsCancellationRequested)
            {
                throw;
            }

            EngineLog.ActivityLeaseLost(_logger, item.Name, item.TaskId, item.InstanceId);
            return;
        }

        await leaseLost.CancelAsync();
        await renewal;
        try
        {
            await _store.CompleteActivityAsync(item, result, _time.GetUtcNow(), CancellationToken.None);
        }
        catch (LeaseLostException)
        {
            EngineLog.ActivityLeaseLost(_logger, item.Name, item.TaskId, item.InstanceId);
            return;
        }

        EngineTelemetry.Activities.Add(1);
        EngineLog.ActivityFinished(_logger, item.Name, item.TaskId, item.InstanceId, result.Kind, item.DeliveryCount);
        _signals.Orchestrations.Set();
    }

    private async Task<HistoryEvent> RunActivityAsync(ActivityWorkItem item, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await using var scope = _scopes.CreateAsyncScope();
        if (!_registry.TryCreateActivity(item.Name, scope.ServiceProvider, out var activity))
        {
            return Failed(new TaskFailureDetails(typeof(InvalidOperationException).FullName!,
                $"No activity named '{item.Name}' is registered with this worker; registered activities: {_registry.DescribeActivities()}."));
        }

        try
        {
            var input = _converter.Deserialize(item.Input, activity.InputType, $"The input of activity '{item.Name}'");
            var context = new TaskActivityContext(item.Name, item.InstanceId, item.TaskId, item.IdempotencyKey, item.DeliveryCount);
            var output = await activity.RunAsync(context, input, cancellationToken);
            return new TaskCompletedEvent(item.TaskId, _converter.Serialize(output)) { Timestamp = _time.GetUtcNow(), TargetExecutionId = item.ExecutionId };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            return Failed(TaskFailureDetails.FromException(ex));
        }

        HistoryEvent Failed(TaskFailureDetails failure)
            => new TaskFailedEvent(item.TaskId, failure) { Timestamp = now, TargetExecutionId = item.ExecutionId };
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
    }
}
