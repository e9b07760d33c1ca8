using ReleaseFunctions.Durable.Storage;
using P = Microsoft.DurableTask.Protobuf;

namespace ReleaseFunctions.Durable.Embedded;

/// <summary>
/// Turns what the worker's orchestrator decided in an episode (the protocol's actions) into one atomic commit:
/// the history it appends, the activities, timers, events and children it sends, and the instance's new state.
/// </summary>
internal static class EpisodeOutcome
{
    public static EpisodeCommit ToCommit(Episode episode, P.OrchestratorResponse response)
    {
        var instance = episode.Instance;
        var now = episode.Now;
        var started = episode.Started;
        if (started is null)
        {
            return Fail(episode, [.. episode.NewEvents], instance.ExecutionId, response.CustomStatus, new TaskFailureDetails(
                typeof(InvalidOperationException).FullName!, $"Instance '{instance.InstanceId}' has no ExecutionStarted event; its history is damaged."));
        }

        var executionId = started.ExecutionId;
        var history = new List<HistoryEvent>(episode.NewEvents);
        var activities = new List<NewActivity>();
        var messages = new List<OutboundMessage>();
        var children = new List<NewInstance>();
        P.CompleteOrchestrationAction? completion = null;

        foreach (var action in response.Actions)
        {
            switch (action.OrchestratorActionTypeCase)
            {
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.ScheduleTask:
                    var task = action.ScheduleTask;
                    // The store keys an activity by where it was scheduled; the SDK's activities get no key, so
                    // the orchestrator puts one in the input where it needs one.
                    var key = $"{instance.InstanceId}/{executionId}/{action.Id}";
                    history.Add(new TaskScheduledEvent(action.Id, task.Name, task.Input, key) { Timestamp = now });
                    activities.Add(new NewActivity(action.Id, task.Name, task.Input, key));
                    break;
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.CreateTimer:
                    var fireAt = action.CreateTimer.FireAt.ToDateTimeOffset();
                    history.Add(new TimerCreatedEvent(action.Id, fireAt) { Timestamp = now });
                    messages.Add(new OutboundMessage(instance.InstanceId, new TimerFiredEvent(action.Id, fireAt) { Timestamp = now, TargetExecutionId = executionId }, fireAt));
                    break;
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.CreateSubOrchestration:
                    var sub = action.CreateSubOrchestration;
                    var childId = string.IsNullOrEmpty(sub.InstanceId) ? Guid.NewGuid().ToString("N") : sub.InstanceId;
                    history.Add(new SubOrchestrationCreatedEvent(action.Id, sub.Name, childId, sub.Input) { Timestamp = now });
                    children.Add(new NewInstance(childId, sub.Name, Guid.NewGuid().ToString("N"), sub.Input, now, now, instance.InstanceId, action.Id));
                    break;
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.SendEvent:
                    var send = action.SendEvent;
                    history.Add(new EventSentEvent(action.Id, send.Instance.InstanceId, send.Name, send.Data) { Timestamp = now });
                    messages.Add(new OutboundMessage(send.Instance.InstanceId, new EventRaisedEvent(send.Name, send.Data) { Timestamp = now }, now));
                    break;
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.TerminateOrchestration:
                    var terminate = action.TerminateOrchestration;
                    messages.Add(new OutboundMessage(terminate.InstanceId, new ExecutionTerminatedEvent(terminate.Reason) { Timestamp = now }, now));
                    break;
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.CompleteOrchestration:
                    completion = action.CompleteOrchestration;
                    break;
                default:
                    return Fail(episode, history, executionId, response.CustomStatus, new TaskFailureDetails(
                        typeof(NotSupportedException).FullName!,
                        $"The orchestrator asked for '{action.OrchestratorActionTypeCase}', which the embedded backend does not support (entities and rewind are not used here)."));
            }
        }

        var customStatus = response.CustomStatus;
        if (completion is null)
        {
            return new EpisodeCommit(instance.InstanceId, episode.WorkItem.LeaseToken, episode.Consumed, false, history,
                new InstanceUpdate(episode.StatusWhileRunning, executionId, instance.Input, null, customStatus, null, null),
                activities, messages, children);
        }

        switch (completion.OrchestrationStatus)
        {
            case P.OrchestrationStatus.ContinuedAsNew:
                return ContinueAsNew(episode, started, completion, customStatus, messages);
            case P.OrchestrationStatus.Completed:
                history.Add(new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Completed, completion.Result, null) { Timestamp = now });
                return new EpisodeCommit(instance.InstanceId, episode.WorkItem.LeaseToken, episode.Consumed, false, history,
                    new InstanceUpdate(OrchestrationRuntimeStatus.Completed, executionId, instance.Input, completion.Result, customStatus, null, now),
                    activities, [.. messages, .. Episode.NotifyParent(instance, completion.Result, null, now)], children);
            case P.OrchestrationStatus.Terminated:
                history.Add(new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Terminated, completion.Result, null) { Timestamp = now });
                return new EpisodeCommit(instance.InstanceId, episode.WorkItem.LeaseToken, episode.Consumed, false, history,
                    new InstanceUpdate(OrchestrationRuntimeStatus.Terminated, executionId, instance.Input, completion.Result, customStatus, null, now),
                    activities, [.. messages, .. Episode.NotifyParent(instance, null, new TaskFailureDetails("Terminated", completion.Result ?? "terminated"), now)], children);
            default:
                var failure = ProtocolMapping.FromProto(completion.FailureDetails)
                              ?? new TaskFailureDetails("OrchestrationFailed", completion.Details ?? $"The orchestration ended {completion.OrchestrationStatus}.");
                return Fail(episode, history, executionId, customStatus, failure, messages);
        }
    }

    private static EpisodeCommit ContinueAsNew(Episode episode, ExecutionStartedEvent started, P.CompleteOrchestrationAction completion, string? customStatus, List<OutboundMessage> sent)
    {
        var instance = episode.Instance;
        var now = episode.Now;
        var newExecutionId = Guid.NewGuid().ToString("N");
        // The new execution starts from its own start message; events the old one had not taken yet follow it.
        var messages = new List<OutboundMessage>
        {
            new(instance.InstanceId, new ExecutionStartedEvent(started.Name, newExecutionId, completion.Result, started.ParentInstanceId, started.ParentTaskId) { Timestamp = now }, now),
        };
        foreach (var carried in completion.CarryoverEvents)
        {
            if (carried.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.EventRaised)
            {
                messages.Add(new OutboundMessage(instance.InstanceId, new EventRaisedEvent(carried.EventRaised.Name, carried.EventRaised.Input) { Timestamp = now }, now));
            }
        }

        // Events sent in the last episode still go, after the start message: the SDK keeps the events the old
        // execution had not taken by sending them to itself. Timers and activities of the old execution are dropped.
        messages.AddRange(sent.Where(m => m.InstanceId != instance.InstanceId || m.Message is EventRaisedEvent));
        return new EpisodeCommit(instance.InstanceId, episode.WorkItem.LeaseToken, episode.Consumed, true, [],
            new InstanceUpdate(OrchestrationRuntimeStatus.Running, newExecutionId, completion.Result, null, customStatus, null, null),
            [], messages, []);
    }

    public static EpisodeCommit Fail(Episode episode, List<HistoryEvent> history, string executionId, string? customStatus, TaskFailureDetails failure, List<OutboundMessage>? sent = null)
    {
        var instance = episode.Instance;
        var now = episode.Now;
        history.Add(new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Failed, null, failure) { Timestamp = now });
        return new EpisodeCommit(instance.InstanceId, episode.WorkItem.LeaseToken, episode.Consumed, false, history,
            new InstanceUpdate(OrchestrationRuntimeStatus.Failed, executionId, instance.Input, null, customStatus ?? instance.CustomStatus, failure, now),
            [], [.. sent ?? [], .. Episode.NotifyParent(instance, null, failure, now)], []);
    }
}
