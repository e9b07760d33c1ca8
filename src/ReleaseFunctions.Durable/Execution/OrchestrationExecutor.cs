using Microsoft.Extensions.Logging;
using ReleaseFunctions.Durable.Storage;

namespace ReleaseFunctions.Durable.Execution;

/// <summary>
/// Runs one episode of an instance: applies its new messages, replays the orchestrator over its history on a
/// single thread, and produces the commit (new history, outbound work, status). Pure apart from the orchestrator
/// code it runs: no store, no clock (the episode time is passed in).
/// </summary>
internal sealed class OrchestrationExecutor
{
    private readonly TaskRegistry _registry;
    private readonly IServiceProvider _services;
    private readonly DataConverter _converter;

    private readonly ILogger? _logger;

    public OrchestrationExecutor(TaskRegistry registry, IServiceProvider services, DataConverter converter, ILogger? logger = null)
    {
        _logger = logger;
        _registry = registry;
        _services = services;
        _converter = converter;
    }

    public EpisodeCommit Execute(OrchestrationWorkItem workItem, DateTimeOffset now)
    {
        var instance = workItem.Instance;
        var consumed = new List<long>();
        var newEvents = new List<HistoryEvent>();
        var deferred = new List<InboxMessage>();
        var status = instance.Status;
        TaskFailureDetails? terminationFailure = null;
        string? terminationReason = null;
        var terminated = false;
        var lifecycle = new List<HistoryEvent>();

        var executionId = instance.ExecutionId;
        foreach (var message in workItem.Messages)
        {
            if (status.IsTerminal())
            {
                consumed.Add(message.Id); // Nothing can happen to a finished instance: late timers, results and events are dropped.
                continue;
            }

            switch (message.Event)
            {
                case ExecutionTerminatedEvent terminate:
                    consumed.Add(message.Id);
                    lifecycle.Add(terminate with { Timestamp = now });
                    terminated = true;
                    terminationReason = terminate.Reason;
                    terminationFailure = new TaskFailureDetails("Terminated", terminate.Reason ?? "terminated");
                    status = OrchestrationRuntimeStatus.Terminated;
                    break;
                case ExecutionSuspendedEvent suspend:
                    consumed.Add(message.Id);
                    if (status != OrchestrationRuntimeStatus.Suspended)
                    {
                        lifecycle.Add(suspend with { Timestamp = now });
                        status = OrchestrationRuntimeStatus.Suspended;
                    }

                    break;
                case ExecutionResumedEvent resume:
                    consumed.Add(message.Id);
                    if (status == OrchestrationRuntimeStatus.Suspended)
                    {
                        lifecycle.Add(resume with { Timestamp = now });
                        status = OrchestrationRuntimeStatus.Running;
                        foreach (var waiting in deferred)
                        {
                            consumed.Add(waiting.Id);
                            newEvents.Add(waiting.Event with { Timestamp = now });
                        }

                        deferred.Clear();
                    }

                    break;
                case ExecutionStartedEvent start:
                    consumed.Add(message.Id);
                    newEvents.Add(start with { Timestamp = now });
                    if (status == OrchestrationRuntimeStatus.Pending)
                    {
                        status = OrchestrationRuntimeStatus.Running;
                    }

                    break;
                default:
                    if (status is OrchestrationRuntimeStatus.Suspended or OrchestrationRuntimeStatus.Pending)
                    {
                        deferred.Add(message);
                    }
                    else if (message.Event.TargetExecutionId is { } target && target != executionId)
                    {
                        consumed.Add(message.Id); // A result for an execution that continued as new.
                    }
                    else
                    {
                        consumed.Add(message.Id);
                        newEvents.Add(message.Event with { Timestamp = now });
                    }

                    break;
            }
        }

        if (instance.Status.IsTerminal())
        {
            return Unchanged(workItem, consumed);
        }

        if (terminated)
        {
            var history = lifecycle;
            return new EpisodeCommit(instance.InstanceId, workItem.LeaseToken, consumed, false, history,
                new InstanceUpdate(OrchestrationRuntimeStatus.Terminated, executionId, instance.Input, _converter.Serialize(terminationReason), instance.CustomStatus, null, now),
                [], NotifyParent(instance, null, terminationFailure, now), []);
        }

        if (newEvents.Count == 0)
        {
            // Only suspend/resume (or deferred messages): record the lifecycle change, run nothing.
            return new EpisodeCommit(instance.InstanceId, workItem.LeaseToken, consumed, false, lifecycle,
                new InstanceUpdate(status, executionId, instance.Input, instance.Output, instance.CustomStatus, instance.Failure, instance.CompletedAt),
                [], [], []);
        }

        var episode = new List<HistoryEvent> { new OrchestratorStartedEvent { Timestamp = now } };
        episode.AddRange(lifecycle);
        episode.AddRange(newEvents);
        return Replay(workItem, workItem.History, episode, consumed, status, now);
    }

    private EpisodeCommit Replay(OrchestrationWorkItem workItem, IReadOnlyList<HistoryEvent> past, List<HistoryEvent> episode, List<long> consumed, OrchestrationRuntimeStatus status, DateTimeOffset now)
    {
        var instance = workItem.Instance;
        var started = past.OfType<ExecutionStartedEvent>().FirstOrDefault() ?? episode.OfType<ExecutionStartedEvent>().FirstOrDefault();
        if (started is null)
        {
            return Fail(workItem, consumed, episode, instance.ExecutionId, null, now,
                new TaskFailureDetails(typeof(InvalidOperationException).FullName!, $"Instance '{instance.InstanceId}' has no ExecutionStarted event; its history is damaged."));
        }

        var executionId = started.ExecutionId;
        if (!_registry.TryCreateOrchestrator(started.Name, _services, out var orchestrator))
        {
            return Fail(workItem, consumed, episode, executionId, null, now, new TaskFailureDetails(
                typeof(InvalidOperationException).FullName!,
                $"No orchestrator named '{started.Name}' is registered with this worker; registered orchestrators: {_registry.DescribeOrchestrators()}."));
        }

        object? input;
        try
        {
            input = _converter.Deserialize(started.Input, orchestrator.InputType, $"The input of orchestration '{started.Name}' (instance '{instance.InstanceId}')");
        }
        catch (FormatException ex)
        {
            return Fail(workItem, consumed, episode, executionId, null, now, TaskFailureDetails.FromException(ex));
        }

        var context = new ReplayContext(started.Name, instance.InstanceId, executionId, _converter, _logger);
        var sync = new OrchestrationSynchronizationContext();
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(sync);
        Task<object?>? run = null;
        try
        {
            var all = past.Concat(episode).ToList();
            for (var i = 0; i < all.Count && (run is null || !run.IsCompleted); i++)
            {
                context.Replaying = i < past.Count;
                Apply(context, all[i], ref run, orchestrator, input);
                sync.Drain();
            }
        }
        catch (NonDeterministicOrchestrationException ex)
        {
            return Fail(workItem, consumed, episode, executionId, context.CustomStatusJson, now, TaskFailureDetails.FromException(ex));
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        var newActions = context.NewActions.ToList();
        episode.AddRange(newActions.Select(a => a.ToHistoryEvent(now)));
        var activities = newActions.OfType<ScheduleTaskAction>().Select(a => new NewActivity(a.TaskId, a.Name, a.Input, a.IdempotencyKey)).ToList();
        var messages = newActions.OfType<CreateTimerAction>()
            .Select(t => new OutboundMessage(instance.InstanceId, new TimerFiredEvent(t.TaskId, t.FireAt) { Timestamp = now, TargetExecutionId = executionId }, t.FireAt))
            .ToList();
        var children = newActions.OfType<CreateSubOrchestrationAction>()
            .Select(s => new NewInstance(s.InstanceId, s.Name, Guid.NewGuid().ToString("N"), s.Input, now, now, instance.InstanceId, s.TaskId))
            .ToList();

        var running = status == OrchestrationRuntimeStatus.Suspended ? OrchestrationRuntimeStatus.Suspended : OrchestrationRuntimeStatus.Running;
        if (run is null || !run.IsCompleted)
        {
            return new EpisodeCommit(instance.InstanceId, workItem.LeaseToken, consumed, false, episode,
                new InstanceUpdate(running, executionId, instance.Input, null, context.CustomStatusJson, null, null),
                activities, messages, children);
        }

        if (run.IsCompletedSuccessfully && context.ContinueAsNewRequest is { } next)
        {
            return ContinueAsNew(workItem, consumed, started, context, next, now);
        }

        if (run.IsCompletedSuccessfully)
        {
            var output = _converter.Serialize(run.Result);
            episode.Add(new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Completed, output, null) { Timestamp = now });
            return new EpisodeCommit(instance.InstanceId, workItem.LeaseToken, consumed, false, episode,
                new InstanceUpdate(OrchestrationRuntimeStatus.Completed, executionId, instance.Input, output, context.CustomStatusJson, null, now),
                activities, messages.Concat(NotifyParent(instance, output, null, now)).ToList(), children);
        }

        var error = run.Exception?.InnerException ?? (Exception)new TaskCanceledException("The orchestrator was cancelled.");
        return Fail(workItem, consumed, episode, executionId, context.CustomStatusJson, now, TaskFailureDetails.FromException(error));
    }

    private static void Apply(ReplayContext context, HistoryEvent e, ref Task<object?>? run, ITaskOrchestrator orchestrator, object? input)
    {
        switch (e)
        {
            case OrchestratorStartedEvent:
                context.SetCurrentTime(e.Timestamp);
                break;
            case ExecutionStartedEvent:
                run ??= orchestrator.RunAsync(context, input);
                break;
            case TaskScheduledEvent scheduled:
                context.MatchRecordedAction(e, scheduled.TaskId, a => a is ScheduleTaskAction s && s.Name == scheduled.Name, $"activity '{scheduled.Name}' (task #{scheduled.TaskId})");
                break;
            case TimerCreatedEvent timer:
                context.MatchRecordedAction(e, timer.TaskId, a => a is CreateTimerAction, $"a timer (task #{timer.TaskId})");
                break;
            case SubOrchestrationCreatedEvent sub:
                context.MatchRecordedAction(e, sub.TaskId, a => a is CreateSubOrchestrationAction s && s.Name == sub.Name, $"sub-orchestration '{sub.Name}' (task #{sub.TaskId})");
                break;
            case TaskCompletedEvent done:
                context.Complete(done.TaskScheduledId, done.Result, null);
                break;
            case TaskFailedEvent failed:
                context.Complete(failed.TaskScheduledId, null, failed.Failure);
                break;
            case TimerFiredEvent fired:
                context.Complete(fired.TimerId, null, null);
                break;
            case SubOrchestrationCompletedEvent subDone:
                context.Complete(subDone.TaskScheduledId, subDone.Result, null);
                break;
            case SubOrchestrationFailedEvent subFailed:
                context.Complete(subFailed.TaskScheduledId, null, subFailed.Failure);
                break;
            case EventRaisedEvent raised:
                context.RaiseEvent(raised.Name, raised.Input);
                break;
        }
    }

    private EpisodeCommit ContinueAsNew(OrchestrationWorkItem workItem, List<long> consumed, ExecutionStartedEvent started, ReplayContext context, (string? Input, bool PreserveEvents) next, DateTimeOffset now)
    {
        var instance = workItem.Instance;
        var newExecutionId = Guid.NewGuid().ToString("N");
        var messages = new List<OutboundMessage>
        {
            new(instance.InstanceId, new ExecutionStartedEvent(started.Name, newExecutionId, next.Input, started.ParentInstanceId, started.ParentTaskId) { Timestamp = now }, now),
        };
        if (next.PreserveEvents)
        {
            messages.AddRange(context.UnconsumedEvents.Select(e => new OutboundMessage(instance.InstanceId, new EventRaisedEvent(e.Name, e.Input) { Timestamp = now }, now)));
        }

        return new EpisodeCommit(instance.InstanceId, workItem.LeaseToken, consumed, true, [],
            new InstanceUpdate(OrchestrationRuntimeStatus.Running, newExecutionId, next.Input, null, context.CustomStatusJson, null, null),
            [], messages, []);
    }

    private EpisodeCommit Fail(OrchestrationWorkItem workItem, List<long> consumed, List<HistoryEvent> episode, string executionId, string? customStatus, DateTimeOffset now, TaskFailureDetails failure)
    {
        var instance = workItem.Instance;
        episode.Add(new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Failed, null, failure) { Timestamp = now });
        return new EpisodeCommit(instance.InstanceId, workItem.LeaseToken, consumed, false, episode,
            new InstanceUpdate(OrchestrationRuntimeStatus.Failed, executionId, instance.Input, null, customStatus ?? instance.CustomStatus, failure, now),
            [], NotifyParent(instance, null, failure, now), []);
    }

    private static EpisodeCommit Unchanged(OrchestrationWorkItem workItem, List<long> consumed)
    {
        var i = workItem.Instance;
        return new EpisodeCommit(i.InstanceId, workItem.LeaseToken, consumed, false, [],
            new InstanceUpdate(i.Status, i.ExecutionId, i.Input, i.Output, i.CustomStatus, i.Failure, i.CompletedAt), [], [], []);
    }

    private static List<OutboundMessage> NotifyParent(InstanceRecord instance, string? output, TaskFailureDetails? failure, DateTimeOffset now)
    {
        if (instance.ParentInstanceId is not { } parent || instance.ParentTaskId is not { } taskId)
        {
            return [];
        }

        HistoryEvent message = failure is null
            ? new SubOrchestrationCompletedEvent(taskId, output) { Timestamp = now }
            : new SubOrchestrationFailedEvent(taskId, failure) { Timestamp = now };
        return [new OutboundMessage(parent, message, now)];
    }
}
