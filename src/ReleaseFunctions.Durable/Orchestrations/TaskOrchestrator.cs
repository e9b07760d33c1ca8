namespace ReleaseFunctions.Durable;

/// <summary>
/// An orchestrator: code that decides what happens next, replayed from history. It must be deterministic:
/// time from <see cref="TaskOrchestrationContext.CurrentUtcDateTime"/>, GUIDs from
/// <see cref="TaskOrchestrationContext.NewGuid"/>, and I/O only through activities.
/// </summary>
public interface ITaskOrchestrator
{
    Type InputType { get; }
    Type OutputType { get; }
    Task<object?> RunAsync(TaskOrchestrationContext context, object? input);
}

/// <summary>Base class for typed orchestrators.</summary>
public abstract class TaskOrchestrator<TInput, TOutput> : ITaskOrchestrator
{
    Type ITaskOrchestrator.InputType => typeof(TInput);
    Type ITaskOrchestrator.OutputType => typeof(TOutput);

    async Task<object?> ITaskOrchestrator.RunAsync(TaskOrchestrationContext context, object? input)
        => await RunAsync(context, (TInput)input!);

    public abstract Task<TOutput> RunAsync(TaskOrchestrationContext context, TInput input);
}

/// <summary>What an activity knows about the call it serves.</summary>
public sealed class TaskActivityContext
{
    internal TaskActivityContext(string name, string instanceId, int taskId, string idempotencyKey, int deliveryCount)
    {
        Name = name;
        InstanceId = instanceId;
        TaskId = taskId;
        IdempotencyKey = idempotencyKey;
        DeliveryCount = deliveryCount;
    }

    public string Name { get; }
    public string InstanceId { get; }
    public int TaskId { get; }

    /// <summary>
    /// Stable for one scheduled call across redeliveries and retry attempts. A side effect keyed by it
    /// (a traffic shift, a comment) is applied once even though the activity runs at least once.
    /// </summary>
    public string IdempotencyKey { get; }

    /// <summary>How many times this work item has been handed to a worker (1 on the first delivery).</summary>
    public int DeliveryCount { get; }
}

/// <summary>An activity: the unit of I/O, run at least once under a lease.</summary>
public interface ITaskActivity
{
    Type InputType { get; }
    Type OutputType { get; }
    Task<object?> RunAsync(TaskActivityContext context, object? input, CancellationToken cancellationToken);
}

/// <summary>Base class for typed activities.</summary>
public abstract class TaskActivity<TInput, TOutput> : ITaskActivity
{
    Type ITaskActivity.InputType => typeof(TInput);
    Type ITaskActivity.OutputType => typeof(TOutput);

    async Task<object?> ITaskActivity.RunAsync(TaskActivityContext context, object? input, CancellationToken cancellationToken)
        => await RunAsync(context, (TInput)input!, cancellationToken);

    public abstract Task<TOutput> RunAsync(TaskActivityContext context, TInput input, CancellationToken cancellationToken);
}
