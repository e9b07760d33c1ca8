namespace ReleaseFunctions.Durable.Storage;

/// <summary>
/// Where instances, histories and outbound work live. Every store passes the same contract test suite.
/// Work items are leased: a lease carries a token, and a commit with a token that is no longer current
/// (the lease expired and someone else took the work) is refused with <see cref="LeaseLostException"/>.
/// All instants are passed in by the caller (from its <see cref="TimeProvider"/>); stores never read a clock.
/// </summary>
public interface IOrchestrationStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema. Safe to call more than once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Calls back when another process wrote work this process may take (for example on a PostgreSQL
    /// <c>NOTIFY</c>). Work written in this process is signalled by the worker itself, so a store used by one
    /// process only may never call back. Dispose the result to stop.
    /// </summary>
    IDisposable SubscribeToWork(Action orchestrationWork, Action activityWork);

    /// <summary>Creates the instance and its start message unless an instance with that id exists. Returns whether it was created.</summary>
    Task<bool> CreateInstanceAsync(NewInstance instance, CancellationToken cancellationToken);

    /// <summary>Adds a message to an instance's inbox. Returns false when the instance does not exist.</summary>
    Task<bool> SendMessageAsync(string instanceId, HistoryEvent message, DateTimeOffset visibleAt, CancellationToken cancellationToken);

    /// <summary>Leases the next instance with a visible message, with its history and visible messages; null when there is none.</summary>
    Task<OrchestrationWorkItem?> TryLockNextOrchestrationAsync(DateTimeOffset now, TimeSpan leaseDuration, CancellationToken cancellationToken);

    /// <summary>Commits an episode atomically: history, consumed messages, instance state, outbound work. Releases the lease.</summary>
    Task CommitEpisodeAsync(EpisodeCommit commit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Gives up a lease without changes; the messages become visible again after <paramref name="retryAt"/>.</summary>
    Task AbandonOrchestrationAsync(string instanceId, string leaseToken, DateTimeOffset retryAt, CancellationToken cancellationToken);

    Task<ActivityWorkItem?> TryLockNextActivityAsync(DateTimeOffset now, TimeSpan leaseDuration, CancellationToken cancellationToken);

    /// <summary>Extends an activity lease. Returns false when the lease was lost.</summary>
    Task<bool> RenewActivityLeaseAsync(ActivityWorkItem item, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken cancellationToken);

    /// <summary>Deletes the work item and sends its result to the instance, in one transaction. Refused when the lease was lost.</summary>
    Task CompleteActivityAsync(ActivityWorkItem item, HistoryEvent result, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The earliest future instant at which a message, activity or expired lease becomes workable; null when nothing is waiting.</summary>
    Task<DateTimeOffset?> GetNextWakeUpAsync(DateTimeOffset now, CancellationToken cancellationToken);

    Task<InstanceRecord?> GetInstanceAsync(string instanceId, bool includePayloads, CancellationToken cancellationToken);

    Task<InstancePage> QueryInstancesAsync(InstanceQuery query, CancellationToken cancellationToken);

    Task<IReadOnlyList<HistoryEvent>> GetHistoryAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Deletes a terminal instance with its history and pending messages. Returns whether it was deleted.</summary>
    Task<bool> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Deletes terminal instances created in [from, to) with the given statuses. Returns how many.</summary>
    Task<int> PurgeInstancesAsync(DateTimeOffset from, DateTimeOffset to, IReadOnlyCollection<OrchestrationRuntimeStatus> statuses, CancellationToken cancellationToken);
}

public sealed record NewInstance(
    string InstanceId,
    string Name,
    string ExecutionId,
    string? Input,
    DateTimeOffset CreatedAt,
    DateTimeOffset StartAt,
    string? ParentInstanceId = null,
    int? ParentTaskId = null);

/// <summary>A message in an instance's inbox, with the store's id for it.</summary>
public sealed record InboxMessage(long Id, HistoryEvent Event);

public sealed record OrchestrationWorkItem(
    InstanceRecord Instance,
    IReadOnlyList<HistoryEvent> History,
    IReadOnlyList<InboxMessage> Messages,
    string LeaseToken);

public sealed record ActivityWorkItem(
    long Id,
    string InstanceId,
    string ExecutionId,
    int TaskId,
    string Name,
    string? Input,
    string IdempotencyKey,
    int DeliveryCount,
    string LeaseToken);

/// <summary>An activity to run, as an episode produced it.</summary>
public sealed record NewActivity(int TaskId, string Name, string? Input, string IdempotencyKey);

/// <summary>A message an episode sends: to itself (a timer), to a child, or to its parent.</summary>
public sealed record OutboundMessage(string InstanceId, HistoryEvent Message, DateTimeOffset VisibleAt);

public sealed record EpisodeCommit(
    string InstanceId,
    string LeaseToken,
    IReadOnlyList<long> ConsumedMessageIds,
    bool ReplaceHistory,
    IReadOnlyList<HistoryEvent> NewHistory,
    InstanceUpdate Update,
    IReadOnlyList<NewActivity> Activities,
    IReadOnlyList<OutboundMessage> Messages,
    IReadOnlyList<NewInstance> Children);

/// <summary>The instance columns an episode writes.</summary>
public sealed record InstanceUpdate(
    OrchestrationRuntimeStatus Status,
    string ExecutionId,
    string? Input,
    string? Output,
    string? CustomStatus,
    TaskFailureDetails? Failure,
    DateTimeOffset? CompletedAt);

public sealed record InstanceRecord(
    string InstanceId,
    string Name,
    string ExecutionId,
    OrchestrationRuntimeStatus Status,
    string? Input,
    string? Output,
    string? CustomStatus,
    TaskFailureDetails? Failure,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    DateTimeOffset? CompletedAt,
    string? ParentInstanceId,
    int? ParentTaskId);

public sealed record InstancePage(IReadOnlyList<InstanceRecord> Instances, string? ContinuationToken);
