using ReleaseFunctions.Integrations.Tests.Support;

namespace ReleaseFunctions.Integrations.Tests.SandboxGates;

/// <summary>
/// The test's <see cref="ManualTimeProvider"/>, also counting the one-shot waits still pending on it (a candidate with
/// added latency holds each request in one), so a test can tell when every request sent has either come back through
/// the router or is waiting for the clock to move. Periodic timers (the load generator's ticks) are not counted.
/// </summary>
public sealed class WaitCountingClock(DateTimeOffset start) : TimeProvider
{
    private readonly ManualTimeProvider _clock = new(start);
    private int _waiting;

    /// <summary>One-shot waits created and neither elapsed nor cancelled.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public void Advance(TimeSpan by) => _clock.Advance(by);

    public override DateTimeOffset GetUtcNow() => _clock.GetUtcNow();

    public override long GetTimestamp() => _clock.GetTimestamp();

    public override long TimestampFrequency => _clock.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero)
        {
            return _clock.CreateTimer(callback, state, dueTime, period);
        }

        var wait = new CountedWait(this);
        Interlocked.Increment(ref _waiting);
        // The count drops before the callback runs, so a waiter never sees the request as neither waiting nor done.
        wait.Timer = _clock.CreateTimer(s => { wait.End(); callback(s); }, state, dueTime, period);
        return wait;
    }

    private sealed class CountedWait(WaitCountingClock owner) : ITimer
    {
        private int _ended;

        public ITimer Timer { get; set; } = null!;

        public void End()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                Interlocked.Decrement(ref owner._waiting);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => Timer.Change(dueTime, period);

        public void Dispose()
        {
            End();
            Timer.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
