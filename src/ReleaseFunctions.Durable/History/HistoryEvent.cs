using System.Text.Json.Serialization;

namespace ReleaseFunctions.Durable;

/// <summary>
/// One entry of an instance's append-only history. Messages that reach an instance (a task result, a timer,
/// an external event, a command) are history events too: they are appended when an episode consumes them.
/// Payloads (inputs, results, event data) are JSON text.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(ExecutionStartedEvent), "ExecutionStarted")]
[JsonDerivedType(typeof(OrchestratorStartedEvent), "OrchestratorStarted")]
[JsonDerivedType(typeof(TaskScheduledEvent), "TaskScheduled")]
[JsonDerivedType(typeof(TaskCompletedEvent), "TaskCompleted")]
[JsonDerivedType(typeof(TaskFailedEvent), "TaskFailed")]
[JsonDerivedType(typeof(TimerCreatedEvent), "TimerCreated")]
[JsonDerivedType(typeof(TimerFiredEvent), "TimerFired")]
[JsonDerivedType(typeof(EventRaisedEvent), "EventRaised")]
[JsonDerivedType(typeof(EventSentEvent), "EventSent")]
[JsonDerivedType(typeof(SubOrchestrationCreatedEvent), "SubOrchestrationCreated")]
[JsonDerivedType(typeof(SubOrchestrationCompletedEvent), "SubOrchestrationCompleted")]
[JsonDerivedType(typeof(SubOrchestrationFailedEvent), "SubOrchestrationFailed")]
[JsonDerivedType(typeof(ExecutionCompletedEvent), "ExecutionCompleted")]
[JsonDerivedType(typeof(ExecutionTerminatedEvent), "ExecutionTerminated")]
[JsonDerivedType(typeof(ExecutionSuspendedEvent), "ExecutionSuspended")]
[JsonDerivedType(typeof(ExecutionResumedEvent), "ExecutionResumed")]
public abstract record HistoryEvent
{
    /// <summary>When the event was recorded (the episode's time), or sent for a message not yet consumed.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>
    /// For a result sent to an instance (task, timer), the execution that asked for it; a result for an
    /// earlier execution (before continue-as-new) is dropped. Null when it does not apply.
    /// </summary>
    public string? TargetExecutionId { get; init; }

    /// <summary>A short name for timelines and error messages.</summary>
    [JsonIgnore]
    public string Kind => GetType().Name.Replace("Event", string.Empty, StringComparison.Ordinal);
}

/// <summary>Marker for events that carry the id of the task they answer.</summary>
public interface ITaskResultEvent
{
    int TaskScheduledId { get; }
}

public sealed record ExecutionStartedEvent(
    string Name,
    string ExecutionId,
    string? Input,
    string? ParentInstanceId = null,
    int? ParentTaskId = null) : HistoryEvent;

/// <summary>The start of an episode; its timestamp is the orchestrator's current time during that episode.</summary>
public sealed record OrchestratorStartedEvent : HistoryEvent;

public sealed record TaskScheduledEvent(int TaskId, string Name, string? Input, string IdempotencyKey) : HistoryEvent;

public sealed record TaskCompletedEvent(int TaskScheduledId, string? Result) : HistoryEvent, ITaskResultEvent;

public sealed record TaskFailedEvent(int TaskScheduledId, TaskFailureDetails Failure) : HistoryEvent, ITaskResultEvent;

public sealed record TimerCreatedEvent(int TaskId, DateTimeOffset FireAt) : HistoryEvent;

public sealed record TimerFiredEvent(int TimerId, DateTimeOffset FireAt) : HistoryEvent, ITaskResultEvent
{
    int ITaskResultEvent.TaskScheduledId => TimerId;
}

public sealed record EventRaisedEvent(string Name, string? Input) : HistoryEvent;

/// <summary>An event this orchestration sent to another instance; replay matches it with the send.</summary>
public sealed record EventSentEvent(int TaskId, string InstanceId, string Name, string? Input) : HistoryEvent;

public sealed record SubOrchestrationCreatedEvent(int TaskId, string Name, string InstanceId, string? Input) : HistoryEvent;

public sealed record SubOrchestrationCompletedEvent(int TaskScheduledId, string? Result) : HistoryEvent, ITaskResultEvent;

public sealed record SubOrchestrationFailedEvent(int TaskScheduledId, TaskFailureDetails Failure) : HistoryEvent, ITaskResultEvent;

public sealed record ExecutionCompletedEvent(OrchestrationRuntimeStatus Status, string? Result, TaskFailureDetails? Failure) : HistoryEvent;

public sealed record ExecutionTerminatedEvent(string? Reason) : HistoryEvent;

public sealed record ExecutionSuspendedEvent(string? Reason) : HistoryEvent;

public sealed record ExecutionResumedEvent(string? Reason) : HistoryEvent;

/// <summary>The state of an orchestration instance.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OrchestrationRuntimeStatus>))]
public enum OrchestrationRuntimeStatus
{
    Pending,
    Running,
    Completed,
    ContinuedAsNew,
    Failed,
    Terminated,
    Suspended,
}

public static class OrchestrationRuntimeStatusExtensions
{
    /// <summary>Completed, failed or terminated: nothing more will happen to the instance.</summary>
    public static bool IsTerminal(this OrchestrationRuntimeStatus status)
        => status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;
}
