namespace ReleaseFunctions.Integrations.Tests.Support;

/// <summary>
/// A clock the test moves. Timers due within <see cref="AutoAdvanceUpTo"/> (retry back-off delays) elapse at once and
/// move the clock on by their due time, so back-off never really sleeps; longer timers (attempt timeouts, the load
/// generator's ticks) wait for <see cref="Advance"/>. Every requested due time is recorded.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly List<TimeSpan> _requestedDelays = [];
    private DateTimeOffset _now;
    private long _ticks;

    public ManualTimeProvider(DateTimeOffset start, TimeSpan? autoAdvanceUpTo = null)
    {
        _now = start;
        AutoAdvanceUpTo = autoAdvanceUpTo ?? TimeSpan.Zero;
    }

    public TimeSpan AutoAdvanceUpTo { get; }

    public IReadOnlyList<TimeSpan> RequestedDelays
    {
        get { lock (_gate) { return _requestedDelays.ToArray(); } }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) { return _now; }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_gate) { return _ticks; }
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_gate)
        {
            _now += by;
            _ticks += by.Ticks;
            due = _timers.Where(t => t.DueAt <= _now).ToList();
            foreach (var timer in due)
            {
                _timers.Remove(timer);
                if (timer.Period > TimeSpan.Zero)
                {
                    timer.DueAt = _now + timer.Period;
                    _timers.Add(timer);
                }
            }
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        var fireNow = false;
        lock (_gate)
        {
            _timers.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            _requestedDelays.Add(dueTime);
            timer.Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
            if (dueTime <= AutoAdvanceUpTo && timer.Period == TimeSpan.Zero)
            {
                _now += dueTime;
                _ticks += dueTime.Ticks;
                fireNow = true;
            }
            else
            {
                timer.DueAt = _now + dueTime;
                _timers.Add(timer);
            }
        }

        if (fireNow)
        {
            // Fire off the creating thread, as a real timer does, so the creator finishes setting up first.
            ThreadPool.QueueUserWorkItem(_ => timer.Fire());
        }
    }

    private void Cancel(ManualTimer timer)
    {
        lock (_gate) { _timers.Remove(timer); }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset DueAt { get; set; }
        public TimeSpan Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => owner.Cancel(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
