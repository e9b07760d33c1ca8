namespace ReleaseFunctions.Durable.Embedded;

/// <summary>
/// Wakes one idle dispatcher when new work is written. Signals coalesce: while one is pending, more add nothing,
/// and a dispatcher that finds work passes the signal on so a backlog fans out to idle dispatchers. A signal sent
/// while no dispatcher waits is kept for the next one, so none is lost.
/// </summary>
internal sealed class WorkSignal
{
    private readonly SemaphoreSlim _pending = new(0, 1);

    public void Set()
    {
        try
        {
            if (_pending.CurrentCount == 0)
            {
                _pending.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Another thread set it first; one pending signal is enough.
        }
    }

    /// <summary>Waits for a signal, or until <paramref name="until"/> on <paramref name="time"/>.</summary>
    public async Task WaitAsync(DateTimeOffset until, TimeProvider time, CancellationToken cancellationToken)
    {
        var timeout = until - time.GetUtcNow();
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var signalled = _pending.WaitAsync(cts.Token);
        var elapsed = Task.Delay(timeout, time, cts.Token);

        // The clock may have moved while the delay was armed; a relative delay would then oversleep.
        if (time.GetUtcNow() < until)
        {
            await Task.WhenAny(signalled, elapsed);
        }

        await cts.CancelAsync();
        try
        {
            await signalled;
        }
        catch (OperationCanceledException)
        {
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}

/// <summary>Tells every waiter that something happened (an instance finished); waiters capture <see cref="Current"/> before they look.</summary>
internal sealed class BroadcastSignal
{
    private TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Current => Volatile.Read(ref _current).Task;

    public void Set() => Interlocked.Exchange(ref _current, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

/// <summary>The signals shared by the client and the worker of one process.</summary>
internal sealed class WorkSignals
{
    public WorkSignal Orchestrations { get; } = new();
    public WorkSignal Activities { get; } = new();

    /// <summary>Set after every committed episode, for clients waiting for an instance to start or to finish.</summary>
    public BroadcastSignal Changes { get; } = new();
}
