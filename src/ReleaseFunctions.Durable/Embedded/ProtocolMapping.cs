using Google.Protobuf.WellKnownTypes;
using ReleaseFunctions.Durable.Storage;
using P = Microsoft.DurableTask.Protobuf;

namespace ReleaseFunctions.Durable.Embedded;

/// <summary>
/// The one place the store's history, instances and failures become Durable Task protocol messages and back.
/// Event ids follow the protocol: the event that schedules something (an activity, a timer, a sub-orchestration,
/// a sent event) carries its task id; every other event carries -1.
/// </summary>
internal static class ProtocolMapping
{
    public static P.HistoryEvent ToProto(HistoryEvent e, string instanceId)
    {
        var proto = new P.HistoryEvent { EventId = -1, Timestamp = Timestamp.FromDateTimeOffset(e.Timestamp) };
        switch (e)
        {
            case ExecutionStartedEvent started:
                proto.ExecutionStarted = new P.ExecutionStartedEvent
                {
                    Name = started.Name,
                    Input = started.Input,
                    OrchestrationInstance = new P.OrchestrationInstance { InstanceId = instanceId, ExecutionId = started.ExecutionId },
                    ParentInstance = started.ParentInstanceId is { } parent
                        ? new P.ParentInstanceInfo
                        {
                            TaskScheduledId = started.ParentTaskId ?? -1,
                            OrchestrationInstance = new P.OrchestrationInstance { InstanceId = parent },
                        }
                        : null,
                };
                break;
            case OrchestratorStartedEvent:
                proto.OrchestratorStarted = new P.OrchestratorStartedEvent();
                break;
            case TaskScheduledEvent scheduled:
                proto.EventId = scheduled.TaskId;
                proto.TaskScheduled = new P.TaskScheduledEvent { Name = scheduled.Name, Input = scheduled.Input };
                break;
            case TaskCompletedEvent completed:
                proto.TaskCompleted = new P.TaskCompletedEvent { TaskScheduledId = completed.TaskScheduledId, Result = completed.Result };
                break;
            case TaskFailedEvent failed:
                proto.TaskFailed = new P.TaskFailedEvent { TaskScheduledId = failed.TaskScheduledId, FailureDetails = ToProto(failed.Failure) };
                break;
            case TimerCreatedEvent timer:
                proto.EventId = timer.TaskId;
                proto.TimerCreated = new P.TimerCreatedEvent { FireAt = Timestamp.FromDateTimeOffset(timer.FireAt) };
                break;
            case TimerFiredEvent fired:
                proto.TimerFired = new P.TimerFiredEvent { TimerId = fired.TimerId, FireAt = Timestamp.FromDateTimeOffset(fired.FireAt) };
                break;
            case EventRaisedEvent raised:
                proto.EventRaised = new P.EventRaisedEvent { Name = raised.Name, Input = raised.Input };
                break;
            case EventSentEvent sent:
                proto.EventId = sent.TaskId;
                proto.EventSent = new P.EventSentEvent { InstanceId = sent.InstanceId, Name = sent.Name, Input = sent.Input };
                break;
            case SubOrchestrationCreatedEvent sub:
                proto.EventId = sub.TaskId;
                proto.SubOrchestrationInstanceCreated = new P.SubOrchestrationInstanceCreatedEvent { InstanceId = sub.InstanceId, Name = sub.Name, Input = sub.Input };
                break;
            case SubOrchestrationCompletedEvent subDone:
                proto.SubOrchestrationInstanceCompleted = new P.SubOrchestrationInstanceCompletedEvent { TaskScheduledId = subDone.TaskScheduledId, Result = subDone.Result };
                break;
            case SubOrchestrationFailedEvent subFailed:
                proto.SubOrchestrationInstanceFailed = new P.SubOrchestrationInstanceFailedEvent { TaskScheduledId = subFailed.TaskScheduledId, FailureDetails = ToProto(subFailed.Failure) };
                break;
            case ExecutionCompletedEvent done:
                proto.ExecutionCompleted = new P.ExecutionCompletedEvent { OrchestrationStatus = ToProto(done.Status), Result = done.Result, FailureDetails = ToProto(done.Failure) };
                break;
            case ExecutionTerminatedEvent terminated:
                proto.ExecutionTerminated = new P.ExecutionTerminatedEvent { Input = terminated.Reason };
                break;
            case ExecutionSuspendedEvent suspended:
                proto.ExecutionSuspended = new P.ExecutionSuspendedEvent { Input = suspended.Reason };
                break;
            case ExecutionResumedEvent resumed:
                proto.ExecutionResumed = new P.ExecutionResumedEvent { Input = resumed.Reason };
                break;
            default:
                throw new InvalidOperationException($"History event '{e.Kind}' has no protocol form.");
        }

        return proto;
    }

    /// <summary>
    /// Whether the worker replays this event. Suspension is the backend's business: while an instance is suspended
    /// its messages wait in the inbox, so the worker never sees a suspended orchestration.
    /// </summary>
    public static bool IsReplayed(HistoryEvent e) => e is not (ExecutionSuspendedEvent or ExecutionResumedEvent);

    public static P.TaskFailureDetails? ToProto(TaskFailureDetails? failure)
        => failure is null
            ? null
            : new P.TaskFailureDetails
            {
                ErrorType = failure.ErrorType,
                ErrorMessage = failure.ErrorMessage,
                StackTrace = failure.StackTrace,
                InnerFailure = ToProto(failure.InnerFailure),
            };

    public static TaskFailureDetails? FromProto(P.TaskFailureDetails? failure)
        => failure is null
            ? null
            : new TaskFailureDetails(failure.ErrorType, failure.ErrorMessage, failure.StackTrace, FromProto(failure.InnerFailure));

    public static P.OrchestrationStatus ToProto(OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Pending => P.OrchestrationStatus.Pending,
        OrchestrationRuntimeStatus.Running => P.OrchestrationStatus.Running,
        OrchestrationRuntimeStatus.Completed => P.OrchestrationStatus.Completed,
        OrchestrationRuntimeStatus.ContinuedAsNew => P.OrchestrationStatus.ContinuedAsNew,
        OrchestrationRuntimeStatus.Failed => P.OrchestrationStatus.Failed,
        OrchestrationRuntimeStatus.Terminated => P.OrchestrationStatus.Terminated,
        OrchestrationRuntimeStatus.Suspended => P.OrchestrationStatus.Suspended,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown runtime status."),
    };

    /// <summary>The store's status for a protocol status; <c>Canceled</c> (never used by the SDK) has none.</summary>
    public static OrchestrationRuntimeStatus? FromProto(P.OrchestrationStatus status) => status switch
    {
        P.OrchestrationStatus.Pending => OrchestrationRuntimeStatus.Pending,
        P.OrchestrationStatus.Running => OrchestrationRuntimeStatus.Running,
        P.OrchestrationStatus.Completed => OrchestrationRuntimeStatus.Completed,
        P.OrchestrationStatus.ContinuedAsNew => OrchestrationRuntimeStatus.ContinuedAsNew,
        P.OrchestrationStatus.Failed => OrchestrationRuntimeStatus.Failed,
        P.OrchestrationStatus.Terminated => OrchestrationRuntimeStatus.Terminated,
        P.OrchestrationStatus.Suspended => OrchestrationRuntimeStatus.Suspended,
        _ => null,
    };

    public static P.OrchestrationState ToProto(InstanceRecord instance, bool includePayloads) => new()
    {
        InstanceId = instance.InstanceId,
        Name = instance.Name,
        ExecutionId = instance.ExecutionId,
        OrchestrationStatus = ToProto(instance.Status),
        CreatedTimestamp = Timestamp.FromDateTimeOffset(instance.CreatedAt),
        LastUpdatedTimestamp = Timestamp.FromDateTimeOffset(instance.LastUpdatedAt),
        CompletedTimestamp = instance.CompletedAt is { } completed ? Timestamp.FromDateTimeOffset(completed) : null,
        ParentInstanceId = instance.ParentInstanceId,
        Input = includePayloads ? instance.Input : null,
        Output = includePayloads ? instance.Output : null,
        CustomStatus = includePayloads ? instance.CustomStatus : null,
        FailureDetails = includePayloads ? ToProto(instance.Failure) : null,
    };
}
