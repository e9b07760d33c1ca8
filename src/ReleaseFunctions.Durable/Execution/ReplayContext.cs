using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace ReleaseFunctions.Durable.Execution;

/// <summary>
/// The orchestration context during one episode. It turns the orchestrator's calls into actions, matches them
/// against history while replaying, and completes the orchestrator's tasks from history events.
/// </summary>
internal sealed class ReplayContext : TaskOrchestrationContext
{
    private readonly DataConverter _converter;
    private readonly string _executionId;
    private readonly Dictionary<int, OrchestratorAction> _unmatchedActions = new();
    private readonly List<OrchestratorAction> _actionOrder = new();
    private readonly Dictionary<int, OpenTask> _openTasks = new();
    private readonly Dictionary<string, LinkedList<EventWaiter>> _eventWaiters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Queue<string?>> _bufferedEvents = new(StringComparer.OrdinalIgnoreCase);
    private int _nextTaskId;
    private int _guidCounter;
    private DateTime _currentUtc;

    private readonly ILogger? _logger;

    /// <param name="logger">Where retries are logged as they are decided (never on replay).</param>
    public ReplayContext(string name, string instanceId, string executionId, DataConverter converter, ILogger? logger = null)
    {
        _logger = logger;
        Name = name;
        InstanceId = instanceId;
        _executionId = executionId;
        _converter = converter;
    }

    public override string Name { get; }
    public override string InstanceId { get; }
    public override DateTime CurrentUtcDateTime => _currentUtc;
    public override bool IsReplaying => Replaying;

    internal bool Replaying { get; set; }
    internal string? CustomStatusJson { get; private set; }
    internal (string? Input, bool PreserveEvents)? ContinueAsNewRequest { get; private set; }

    internal void SetCurrentTime(DateTimeOffset timestamp) => _currentUtc = timestamp.UtcDateTime;

    /// <summary>Actions taken in this episode that history does not hold yet, in the order taken.</summary>
    internal IEnumerable<OrchestratorAction> NewActions => _actionOrder.Where(a => _unmatchedActions.ContainsKey(a.TaskId));

    /// <summary>Events raised but not yet waited for.</summary>
    internal IEnumerable<(string Name, string? Input)> UnconsumedEvents
        => _bufferedEvents.SelectMany(kv => kv.Value.Select(v => (kv.Key, v)));

    public override async Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, TaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var inputJson = _converter.Serialize(input);
        string? key = null;
        for (var attempt = 1; ; attempt++)
        {
            var taskId = _nextTaskId++;
            key ??= $"{InstanceId}/{_executionId}/{taskId}";
            var task = Schedule(new ScheduleTaskAction(taskId, name, inputJson, key), name);
            try
            {
                var json = await task;
                return (TResult)_converter.Deserialize(json, typeof(TResult), $"The result of activity '{name}'")!;
            }
            catch (TaskFailedException failed) when (options?.Retry is { } retry && attempt < retry.MaxNumberOfAttempts && retry.Handle(failed.FailureDetails))
            {
                var delay = retry.DelayBeforeAttempt(attempt + 1);
                LogRetry("activity", name, attempt, retry.MaxNumberOfAttempts, failed, delay);
                await CreateTimer(CurrentUtcDateTime.Add(delay), CancellationToken.None);
            }
        }
    }

    public override async Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, object? input = null, SubOrchestrationOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orchestratorName);
        var inputJson = _converter.Serialize(input);
        for (var attempt = 1; ; attempt++)
        {
            var taskId = _nextTaskId++;
            var childId = attempt == 1 && options?.InstanceId is { } given ? given : $"{InstanceId}:{taskId:D4}";
            var task = Schedule(new CreateSubOrchestrationAction(taskId, orchestratorName, childId, inputJson), orchestratorName);
            try
            {
                var json = await task;
                return (TResult)_converter.Deserialize(json, typeof(TResult), $"The result of sub-orchestration '{orchestratorName}'")!;
            }
            catch (TaskFailedException failed) when (options?.Retry is { } retry && attempt < retry.MaxNumberOfAttempts && retry.Handle(failed.FailureDetails))
            {
                var delay = retry.DelayBeforeAttempt(attempt + 1);
                LogRetry("sub-orchestration", orchestratorName, attempt, retry.MaxNumberOfAttempts, failed, delay);
                await CreateTimer(CurrentUtcDateTime.Add(delay), CancellationToken.None);
            }
        }
    }

    private void LogRetry(string kind, string name, int attempt, int attempts, TaskFailedException failed, TimeSpan delay)
    {
        if (_logger is not null && !IsReplaying)
        {
            EngineLog.TaskRetrying(_logger, kind, name, InstanceId, attempt, attempts, failed.FailureDetails.ErrorMessage, delay);
        }
    }

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var taskId = _nextTaskId++;
        var utc = fireAt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(fireAt, DateTimeKind.Utc) : fireAt.ToUniversalTime();
        var task = Schedule(new CreateTimerAction(taskId, new DateTimeOffset(utc, TimeSpan.Zero)), "timer");
        if (!cancellationToken.CanBeCanceled)
        {
            return task;
        }

        var open = _openTasks[taskId];
        cancellationToken.Register(() =>
        {
            if (_openTasks.Remove(taskId))
            {
                open.Completion.TrySetCanceled(cancellationToken);
            }
        });
        return task;
    }

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        if (_bufferedEvents.TryGetValue(eventName, out var buffered) && buffered.Count > 0)
        {
            var json = buffered.Dequeue();
            return Task.FromResult(ReadEvent<T>(eventName, json));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var waiter = new EventWaiter<T>(this, eventName);
        if (!_eventWaiters.TryGetValue(eventName, out var waiters))
        {
            _eventWaiters[eventName] = waiters = new LinkedList<EventWaiter>();
        }

        var node = waiters.AddLast(waiter);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() =>
            {
                if (node.List is not null)
                {
                    waiters.Remove(node);
                    waiter.Cancel(cancellationToken);
                }
            });
        }

        return waiter.Task;
    }

    public override void SetCustomStatus(object? customStatus) => CustomStatusJson = _converter.Serialize(customStatus);

    public override void ContinueAsNew(object? newInput, bool preserveUnprocessedEvents = true)
        => ContinueAsNewRequest = (_converter.Serialize(newInput), preserveUnprocessedEvents);

    public override Guid NewGuid()
    {
        // Name-based (RFC 4122 version 5 style) from values that are identical on every replay.
        var name = $"{InstanceId}/{_executionId}/{_currentUtc:O}/{_guidCounter++}";
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(name));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    private Task<string?> Schedule(OrchestratorAction action, string taskName)
    {
        _unmatchedActions.Add(action.TaskId, action);
        _actionOrder.Add(action);
        var open = new OpenTask(taskName, new TaskCompletionSource<string?>());
        _openTasks.Add(action.TaskId, open);
        return open.Completion.Task;
    }

    /// <summary>Checks a recorded action against what the orchestrator did on replay.</summary>
    internal void MatchRecordedAction(HistoryEvent recorded, int taskId, Func<OrchestratorAction, bool> sameAction, string recordedDescription)
    {
        if (!_unmatchedActions.TryGetValue(taskId, out var action))
        {
            throw new NonDeterministicOrchestrationException(
                $"Orchestrator '{Name}' (instance '{InstanceId}') is non-deterministic: history has {recorded.Kind} for {recordedDescription}, but on replay the orchestrator did not schedule task #{taskId}.");
        }

        if (!sameAction(action))
        {
            throw new NonDeterministicOrchestrationException(
                $"Orchestrator '{Name}' (instance '{InstanceId}') is non-deterministic: history has {recorded.Kind} for {recordedDescription}, but on replay the orchestrator scheduled {action.Describe()}.");
        }

        _unmatchedActions.Remove(taskId);
    }

    /// <summary>Completes the task a result answers. A result for a task that is no longer open (a cancelled timer) is ignored.</summary>
    internal void Complete(int taskId, string? result, TaskFailureDetails? failure)
    {
        if (!_openTasks.Remove(taskId, out var open))
        {
            return;
        }

        if (failure is null)
        {
            open.Completion.TrySetResult(result);
        }
        else
        {
            open.Completion.TrySetException(new TaskFailedException(open.Name, taskId, failure));
        }
    }

    internal void RaiseEvent(string name, string? input)
    {
        if (_eventWaiters.TryGetValue(name, out var waiters) && waiters.First is { } first)
        {
            waiters.RemoveFirst();
            first.Value.Deliver(input);
            return;
        }

        if (!_bufferedEvents.TryGetValue(name, out var queue))
        {
            _bufferedEvents[name] = queue = new Queue<string?>();
        }

        queue.Enqueue(input);
    }

    private T ReadEvent<T>(string name, string? json) => (T)_converter.Deserialize(json, typeof(T), $"The payload of event '{name}'")!;

    private sealed record OpenTask(string Name, TaskCompletionSource<string?> Completion);

    private abstract class EventWaiter
    {
        public abstract void Deliver(string? json);
    }

    private sealed class EventWaiter<T>(ReplayContext context, string name) : EventWaiter
    {
        private readonly TaskCompletionSource<T> _completion = new();

        public Task<T> Task => _completion.Task;

        public override void Deliver(string? json)
        {
            try
            {
                _completion.TrySetResult(context.ReadEvent<T>(name, json));
            }
            catch (FormatException ex)
            {
                _completion.TrySetException(ex);
            }
        }

        public void Cancel(CancellationToken token) => _completion.TrySetCanceled(token);
    }
}
