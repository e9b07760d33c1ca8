namespace ReleaseFunctions.Integrations.Tests.GitHub;

/// <summary>
/// A clock the test moves. Timers fire when <see cref="Advance"/> passes their due time. With
/// <see cref="AutoAdvance"/> the clock jumps forward to each timer as soon as it is created, so code that waits
/// (a retry delay, a rate-limit pause) finishes at once while the time it asked to wait is recorded in
/// <see cref="Waits"/>.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now;

    public ManualTimeProvider(DateTimeOffset start) => _now = start;

    public bool AutoAdvance { get; init; }

    /// <summary>Every finite, positive timer period asked for, in order.</summary>
    public List<TimeSpan> Waits { get; } = [];

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_gate)
        {
            _now += by;
            due = _timers.Where(t => t.DueAt <= _now).ToList();
            foreach (var t in due)
            {
                t.Fired();
            }
        }

        foreach (var t in due)
        {
            t.Invoke();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            timer.DueAt = _now + dueTime;
            _timers.Add(timer);
            if (dueTime > TimeSpan.Zero)
            {
                Waits.Add(dueTime);
            }
        }

        if (AutoAdvance || dueTime <= TimeSpan.Zero)
        {
            // Fire from the thread pool, as a real timer would, so the caller has finished arming it.
            ThreadPool.QueueUserWorkItem(_ => Advance(dueTime > TimeSpan.Zero && AutoAdvance ? DueIn(timer) : TimeSpan.Zero));
        }
    }

    private TimeSpan DueIn(ManualTimer timer)
    {
        lock (_gate)
        {
            var left = timer.DueAt - _now;
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    private void Cancel(ManualTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public DateTimeOffset DueAt { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            owner.Schedule(this, dueTime);
            return true;
        }

        public void Fired()
        {
            owner._timers.Remove(this);
            if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan)
            {
                DueAt += _period;
                owner._timers.Add(this);
            }
        }

        public void Invoke() => callback(state);

        public void Dispose() => owner.Cancel(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
