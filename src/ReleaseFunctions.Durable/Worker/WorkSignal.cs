namespace ReleaseFunctions.Durable.Worker;

/// <summary>
/// Wakes idle dispatchers when new work is written. A waiter captures <see cref="Current"/> before it looks
/// for work, so a signal sent between the look and the wait is never lost.
/// </summary>
internal sealed class WorkSignal
{
    private TaskCompletionSource _current = NewSource();

    public Task Current => Volatile.Read(ref _current).Task;

    public void Set()
    {
        var fired = Interlocked.Exchange(ref _current, NewSource());
        fired.TrySetResult();
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The signals shared by the client and the worker of one process.</summary>
internal sealed class WorkSignals
{
    public WorkSignal Orchestrations { get; } = new();
    public WorkSignal Activities { get; } = new();

    /// <summary>Set when an instance reaches a terminal state, for clients waiting on completion.</summary>
    public WorkSignal Completions { get; } = new();
}
