namespace ReleaseFunctions.Durable;

/// <summary>The state of an instance as a client sees it. Payloads are JSON text; read them typed with the Read methods.</summary>
public sealed class OrchestrationMetadata
{
    private readonly DataConverter _converter;

    internal OrchestrationMetadata(Storage.InstanceRecord record, DataConverter converter)
    {
        _converter = converter;
        InstanceId = record.InstanceId;
        Name = record.Name;
        RuntimeStatus = record.Status;
        CreatedAt = record.CreatedAt;
        LastUpdatedAt = record.LastUpdatedAt;
        CompletedAt = record.CompletedAt;
        SerializedInput = record.Input;
        SerializedOutput = record.Output;
        SerializedCustomStatus = record.CustomStatus;
        FailureDetails = record.Failure;
        ParentInstanceId = record.ParentInstanceId;
    }

    public string InstanceId { get; }
    public string Name { get; }
    public OrchestrationRuntimeStatus RuntimeStatus { get; }
    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset LastUpdatedAt { get; }
    public DateTimeOffset? CompletedAt { get; }
    public string? SerializedInput { get; }
    public string? SerializedOutput { get; }
    public string? SerializedCustomStatus { get; }
    public TaskFailureDetails? FailureDetails { get; }
    public string? ParentInstanceId { get; }

    public bool IsCompleted => RuntimeStatus.IsTerminal();

    public T? ReadInputAs<T>() => _converter.Deserialize<T>(SerializedInput, $"The input of '{InstanceId}'");
    public T? ReadOutputAs<T>() => _converter.Deserialize<T>(SerializedOutput, $"The output of '{InstanceId}'");
    public T? ReadCustomStatusAs<T>() => _converter.Deserialize<T>(SerializedCustomStatus, $"The custom status of '{InstanceId}'");
}

/// <summary>Options for starting an instance.</summary>
public sealed record StartOrchestrationOptions(string? InstanceId = null, DateTimeOffset? StartAt = null);

/// <summary>A page of instances; pass <see cref="ContinuationToken"/> back for the next page (null when this is the last).</summary>
public sealed record OrchestrationPage(IReadOnlyList<OrchestrationMetadata> Instances, string? ContinuationToken);
