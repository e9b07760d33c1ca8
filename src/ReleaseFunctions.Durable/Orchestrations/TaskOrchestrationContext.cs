using Microsoft.Extensions.Logging;

namespace ReleaseFunctions.Durable;

/// <summary>
/// What an orchestrator may do. A small core (time, replaying, activity, timer, event, sub-orchestration,
/// status, continue-as-new) and helpers built only on that core.
/// </summary>
public abstract class TaskOrchestrationContext
{
    public abstract string Name { get; }
    public abstract string InstanceId { get; }

    /// <summary>The time of the current episode, from history: the same on every replay.</summary>
    public abstract DateTime CurrentUtcDateTime { get; }

    /// <summary>True while the orchestrator re-executes decisions already recorded in history.</summary>
    public abstract bool IsReplaying { get; }

    public abstract Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, TaskOptions? options = null);

    /// <summary>A durable timer that fires at <paramref name="fireAt"/> (UTC). Cancelling the token completes the task as cancelled.</summary>
    public abstract Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken);

    /// <summary>Waits for the next event of that name. Events that arrived earlier are buffered per name and delivered in order.</summary>
    public abstract Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default);

    public abstract Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, object? input = null, SubOrchestrationOptions? options = null);

    /// <summary>Visible to clients in the instance status; written when the episode commits.</summary>
    public abstract void SetCustomStatus(object? customStatus);

    /// <summary>Ends this execution when the orchestrator returns and starts a fresh one with <paramref name="newInput"/> and an empty history.</summary>
    public abstract void ContinueAsNew(object? newInput, bool preserveUnprocessedEvents = true);

    /// <summary>A GUID that is the same on every replay (name-based, from the instance id, the episode time and a counter).</summary>
    public abstract Guid NewGuid();

    /// <summary>A logger that writes only when the orchestrator is not replaying.</summary>
    public ILogger CreateReplaySafeLogger(ILogger logger) => new ReplaySafeLogger(this, logger);

    public Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken = default)
        => CreateTimer(CurrentUtcDateTime.Add(delay), cancellationToken);

    public async Task CallActivityAsync(string name, object? input = null, TaskOptions? options = null)
        => await CallActivityAsync<object?>(name, input, options);

    /// <summary>
    /// Waits for an event or until <paramref name="timeout"/> passes: a race of a durable timer and the event, the loser cancelled.
    /// Throws <see cref="TimeoutException"/> naming the event when the timer wins.
    /// </summary>
    public async Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var eventTask = WaitForExternalEvent<T>(eventName, cts.Token);
        var timerTask = CreateTimer(CurrentUtcDateTime.Add(timeout), cts.Token);
        var winner = await Task.WhenAny(eventTask, timerTask);
        cts.Cancel();
        if (winner == eventTask)
        {
            return await eventTask;
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new TimeoutException($"The event '{eventName}' did not arrive within {timeout}.");
    }

    private sealed class ReplaySafeLogger(TaskOrchestrationContext context, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => !context.IsReplaying && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!context.IsReplaying)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
