namespace ReleaseFunctions.Durable.Execution;

/// <summary>Something an orchestrator asked for in an episode; recorded in history when the episode commits.</summary>
internal abstract record OrchestratorAction(int TaskId)
{
    public abstract HistoryEvent ToHistoryEvent(DateTimeOffset timestamp);

    public abstract string Describe();
}

internal sealed record ScheduleTaskAction(int TaskId, string Name, string? Input, string IdempotencyKey) : OrchestratorAction(TaskId)
{
    public override HistoryEvent ToHistoryEvent(DateTimeOffset timestamp) => new TaskScheduledEvent(TaskId, Name, Input, IdempotencyKey) { Timestamp = timestamp };

    public override string Describe() => $"activity '{Name}' as task #{TaskId}";
}

internal sealed record CreateTimerAction(int TaskId, DateTimeOffset FireAt) : OrchestratorAction(TaskId)
{
    public override HistoryEvent ToHistoryEvent(DateTimeOffset timestamp) => new TimerCreatedEvent(TaskId, FireAt) { Timestamp = timestamp };

    public override string Describe() => $"a timer for {FireAt:O} as task #{TaskId}";
}

internal sealed record CreateSubOrchestrationAction(int TaskId, string Name, string InstanceId, string? Input) : OrchestratorAction(TaskId)
{
    public override HistoryEvent ToHistoryEvent(DateTimeOffset timestamp) => new SubOrchestrationCreatedEvent(TaskId, Name, InstanceId, Input) { Timestamp = timestamp };

    public override string Describe() => $"sub-orchestration '{Name}' ('{InstanceId}') as task #{TaskId}";
}
