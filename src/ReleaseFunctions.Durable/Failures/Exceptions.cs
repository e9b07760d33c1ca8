namespace ReleaseFunctions.Durable;

/// <summary>Thrown inside an orchestrator when an activity or sub-orchestration it awaited failed for good.</summary>
public sealed class TaskFailedException : Exception
{
    public TaskFailedException(string taskName, int taskId, TaskFailureDetails failureDetails)
        : base($"Task '{taskName}' (#{taskId}) failed: {failureDetails.ErrorType}: {failureDetails.ErrorMessage}")
    {
        TaskName = taskName;
        TaskId = taskId;
        FailureDetails = failureDetails;
    }

    public string TaskName { get; }
    public int TaskId { get; }
    public TaskFailureDetails FailureDetails { get; }
}

/// <summary>
/// The orchestrator did something on replay that its history says it did not do before.
/// The instance is failed with this error; the code change that caused it must be reverted or versioned.
/// </summary>
public sealed class NonDeterministicOrchestrationException : Exception
{
    public NonDeterministicOrchestrationException(string message) : base(message)
    {
    }
}

/// <summary>No orchestration instance has the given id.</summary>
public sealed class OrchestrationInstanceNotFoundException : Exception
{
    public OrchestrationInstanceNotFoundException(string instanceId)
        : base($"No orchestration instance has the id '{instanceId}'.")
    {
        InstanceId = instanceId;
    }

    public string InstanceId { get; }
}

/// <summary>The store cannot be used: its file is locked by another process, corrupt, or not a store at all.</summary>
public sealed class DurableStoreException : Exception
{
    public DurableStoreException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>A commit was refused because this worker no longer holds the lease on the work item.</summary>
public sealed class LeaseLostException : Exception
{
    public LeaseLostException(string message) : base(message)
    {
    }
}
