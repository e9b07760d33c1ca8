using Microsoft.Extensions.Logging;

namespace ReleaseFunctions.Durable.Diagnostics;

/// <summary>The engine's log messages, with fixed event ids (1000–1099).</summary>
internal static partial class EngineLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Episode of {InstanceId} ({Name}) committed: {NewEvents} new events, status {Status}")]
    public static partial void EpisodeCommitted(ILogger logger, string instanceId, string name, int newEvents, OrchestrationRuntimeStatus status);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Episode of {InstanceId} lost its lease before commit; it will run again")]
    public static partial void EpisodeLeaseLost(ILogger logger, string instanceId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Episode of {InstanceId} failed unexpectedly; retrying after {RetryAfter}")]
    public static partial void EpisodeError(ILogger logger, string instanceId, TimeSpan retryAfter, Exception exception);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Orchestration {InstanceId} ({Name}) failed: {Failure}")]
    public static partial void OrchestrationFailed(ILogger logger, string instanceId, string name, string failure);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Debug, Message = "Activity {Name} #{TaskId} of {InstanceId} finished ({Outcome}) on delivery {Delivery}")]
    public static partial void ActivityFinished(ILogger logger, string name, int taskId, string instanceId, string outcome, int delivery);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Activity {Name} #{TaskId} of {InstanceId} lost its lease; its result is discarded")]
    public static partial void ActivityLeaseLost(ILogger logger, string name, int taskId, string instanceId);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Error, Message = "The store failed; the dispatcher retries after {RetryAfter}")]
    public static partial void StoreError(ILogger logger, TimeSpan retryAfter, Exception exception);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Information, Message = "Embedded Durable Task backend listening for this process's worker and client (store {Store})")]
    public static partial void BackendStarted(ILogger logger, string store);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Information, Message = "A Durable Task worker connected: up to {Orchestrations} orchestration and {Activities} activity work items at once")]
    public static partial void WorkerConnected(ILogger logger, int orchestrations, int activities);

    [LoggerMessage(EventId = 1032, Level = LogLevel.Information, Message = "A Durable Task worker disconnected")]
    public static partial void WorkerDisconnected(ILogger logger);

    [LoggerMessage(EventId = 1033, Level = LogLevel.Warning, Message = "The {Kind} work item of {InstanceId} went back unanswered ({Why}); it runs again after {RetryAfter}")]
    public static partial void WorkItemAbandoned(ILogger logger, string kind, string instanceId, string why, TimeSpan retryAfter);

    [LoggerMessage(EventId = 1034, Level = LogLevel.Warning, Message = "A call to the embedded backend was refused: {Why}")]
    public static partial void CallRefused(ILogger logger, string why);
}
