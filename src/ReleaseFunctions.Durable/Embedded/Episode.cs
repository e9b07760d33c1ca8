using ReleaseFunctions.Durable.Storage;

namespace ReleaseFunctions.Durable.Embedded;

/// <summary>
/// One turn of an instance: the messages it takes from its inbox, and either the commit that needs no orchestrator
/// code (a termination, a suspension, messages for a finished instance) or the events the worker must replay.
/// </summary>
internal sealed class Episode
{
    private Episode(OrchestrationWorkItem workItem, DateTimeOffset now, List<long> consumed)
    {
        WorkItem = workItem;
        Now = now;
        Consumed = consumed;
    }

    public OrchestrationWorkItem WorkItem { get; }

    public DateTimeOffset Now { get; }

    /// <summary>The inbox messages this episode consumes.</summary>
    public IReadOnlyList<long> Consumed { get; }

    /// <summary>Set when the episode is settled without running the orchestrator.</summary>
    public EpisodeCommit? Settled { get; private init; }

    /// <summary>The events this episode appends before the orchestrator's own: an OrchestratorStarted (the episode's time), then the messages.</summary>
    public IReadOnlyList<HistoryEvent> NewEvents { get; private init; } = [];

    /// <summary>Running, or Suspended when a suspension arrived with the messages.</summary>
    public OrchestrationRuntimeStatus StatusWhileRunning { get; private init; }

    public InstanceRecord Instance => WorkItem.Instance;

    /// <summary>
    /// Sorts an instance's visible messages: lifecycle commands (terminate, suspend, resume) act at once; while an
    /// instance is suspended or not yet started other messages stay in the inbox; a result meant for an execution
    /// that continued as new, or any message for a finished instance, is dropped.
    /// </summary>
    public static Episode Plan(OrchestrationWorkItem workItem, DateTimeOffset now)
    {
        var instance = workItem.Instance;
        var consumed = new List<long>();
        var newEvents = new List<HistoryEvent>();
        var deferred = new List<InboxMessage>();
        var lifecycle = new List<HistoryEvent>();
        var status = instance.Status;
        string? terminationReason = null;
        var terminated = false;

        // A start message goes first: after a continue-as-new, events that came in while the old execution ran
        // are older in the inbox than the new execution's start, and belong to the new execution.
        foreach (var message in workItem.Messages.OrderBy(m => m.Event is ExecutionStartedEvent ? 0 : 1))
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
                    else if (message.Event.TargetExecutionId is { } target && target != instance.ExecutionId)
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
            return new Episode(workItem, now, consumed) { Settled = Unchanged(workItem, consumed) };
        }

        if (terminated)
        {
            // The reason is the client's output for the instance, already serialized by the client's converter.
            var failure = new TaskFailureDetails("Terminated", terminationReason ?? "terminated");
            var commit = new EpisodeCommit(instance.InstanceId, workItem.LeaseToken, consumed, false, lifecycle,
                new InstanceUpdate(OrchestrationRuntimeStatus.Terminated, instance.ExecutionId, instance.Input, terminationReason, instance.CustomStatus, null, now),
                [], NotifyParent(instance, null, failure, now), []);
            return new Episode(workItem, now, consumed) { Settled = commit };
        }

        if (newEvents.Count == 0)
        {
            // Only suspend/resume (or deferred messages): record the lifecycle change, run nothing.
            var commit = new EpisodeCommit(instance.InstanceId, workItem.LeaseToken, consumed, false, lifecycle,
                new InstanceUpdate(status, instance.ExecutionId, instance.Input, instance.Output, instance.CustomStatus, instance.Failure, instance.CompletedAt),
                [], [], []);
            return new Episode(workItem, now, consumed) { Settled = commit };
        }

        var episode = new List<HistoryEvent> { new OrchestratorStartedEvent { Timestamp = now } };
        episode.AddRange(lifecycle);
        episode.AddRange(newEvents);
        return new Episode(workItem, now, consumed)
        {
            NewEvents = episode,
            StatusWhileRunning = status == OrchestrationRuntimeStatus.Suspended ? OrchestrationRuntimeStatus.Suspended : OrchestrationRuntimeStatus.Running,
        };
    }

    /// <summary>The execution this episode runs: the one its history (or a start message in it) names.</summary>
    public ExecutionStartedEvent? Started
        => WorkItem.History.OfType<ExecutionStartedEvent>().FirstOrDefault() ?? NewEvents.OfType<ExecutionStartedEvent>().FirstOrDefault();

    public static List<OutboundMessage> NotifyParent(InstanceRecord instance, string? output, TaskFailureDetails? failure, DateTimeOffset now)
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

    private static EpisodeCommit Unchanged(OrchestrationWorkItem workItem, List<long> consumed)
    {
        var i = workItem.Instance;
        return new EpisodeCommit(i.InstanceId, workItem.LeaseToken, consumed, false, [],
            new InstanceUpdate(i.Status, i.ExecutionId, i.Input, i.Output, i.CustomStatus, i.Failure, i.CompletedAt), [], [], []);
    }
}
