using Microsoft.Extensions.Time.Testing;

namespace ReleaseFunctions.Testing;

/// <summary>
/// <see cref="FakeTimeProvider"/> (the clock moves only when the test moves it; <see cref="FakeTimeProvider.Advance"/>
/// fires the timers it passes in due order) with a few observations of the timers armed on it, for tests that need
/// to know who waits on the clock:
/// <list type="bullet">
/// <item><see cref="RequestedDelays"/>: every positive due time asked for (a retry back-off, a rate-limit pause);</item>
/// <item><see cref="ArmedTimers"/>, <see cref="PendingOneShotTimers"/>, <see cref="NextDue"/>,
/// <see cref="WhenTimersArmedAsync"/>, <see cref="AdvanceToNextTimerAsync"/>: the timers still to fire;</item>
/// <item><see cref="AutoAdvanceUpTo"/>: one-shot timers due within it elapse at once, the clock moving on to their due
/// time, so back-off never really sleeps while longer timers (attempt timeouts, periodic ticks) wait for the test.</item>
/// </list>
/// The timers themselves are FakeTimeProvider's; this class only wraps them to watch them.
/// </summary>
internal sealed class TestTimeProvider : FakeTimeProvider
{
    private readonly object _gate = new();
    private readonly object _autoAdvanceGate = new();
    private readonly List<ObservedTimer> _armed = [];
    private readonly List<TimeSpan> _delays = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];

    public TestTimeProvider(DateTimeOffset start)
        : base(start)
    {
    }

    /// <summary>One-shot timers due within this span elapse at once (moving the clock to their due time); zero: none.</summary>
    public TimeSpan AutoAdvanceUpTo { get; init; }

    /// <summary>Every positive, finite due time a timer was armed with, in order.</summary>
    public IReadOnlyList<TimeSpan> RequestedDelays
    {
        get { lock (_gate) { return _delays.ToArray(); } }
    }

    /// <summary>Timers armed and not yet fired (a periodic one stays armed), cancelled or disposed.</summary>
    public int ArmedTimers
    {
        get { lock (_gate) { return _armed.Count; } }
    }

    /// <summary>One-shot timers (a <c>Task.Delay</c>, a timeout) armed and neither elapsed nor cancelled.</summary>
    public int PendingOneShotTimers
    {
        get { lock (_gate) { return _armed.Count(t => !t.Periodic); } }
    }

    /// <summary>The earliest due time of the armed timers, or null when none is armed.</summary>
    public DateTimeOffset? NextDue
    {
        get { lock (_gate) { return _armed.Count == 0 ? null : _armed.Min(t => t.DueAt); } }
    }

    /// <summary>Completes when at least <paramref name="count"/> timers are armed (someone waits on the clock).</summary>
    public Task WhenTimersArmedAsync(int count = 1)
    {
        lock (_gate)
        {
            if (_armed.Count >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Waits until a timer is armed, then moves the clock to its due time (firing it) and returns that time.</summary>
    public async Task<DateTimeOffset> AdvanceToNextTimerAsync()
    {
        DateTimeOffset? next;
        while ((next = NextDue) is null)
        {
            await WhenTimersArmedAsync();
        }

        var due = next.Value;
        var now = GetUtcNow();
        Advance(due > now ? due - now : TimeSpan.Zero);
        return due;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ObservedTimer(this, callback, state);
        timer.Inner = base.CreateTimer(static s => ((ObservedTimer)s!).Elapse(), timer, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Arm(ObservedTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        lock (_gate)
        {
            _armed.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            if (dueTime > TimeSpan.Zero)
            {
                _delays.Add(dueTime);
            }

            timer.Periodic = period != Timeout.InfiniteTimeSpan && period > TimeSpan.Zero;
            timer.Period = period;
            timer.DueAt = GetUtcNow() + (dueTime > TimeSpan.Zero ? dueTime : TimeSpan.Zero);
            timer.HasElapsed = false;
        }
    }

    /// <summary>
    /// Shows the timer as armed once FakeTimeProvider has it (unless it fired meanwhile), so a test that sees it and
    /// moves the clock does not move it before the timer's due time is set; then completes the waits that now hold.
    /// </summary>
    private void Armed(ObservedTimer timer, TimeSpan dueTime)
    {
        lock (_gate)
        {
            if (dueTime != Timeout.InfiniteTimeSpan && !timer.Disposed && (timer.Periodic || !timer.HasElapsed) && !_armed.Contains(timer))
            {
                _armed.Add(timer);
            }
        }

        ReleaseWaiters();
    }

    private void ReleaseWaiters()
    {
        List<TaskCompletionSource> ready = [];
        lock (_gate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_armed.Count >= _waiters[i].Count)
                {
                    ready.Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        ready.ForEach(signal => signal.TrySetResult());
    }

    /// <summary>Called as the timer fires, before its callback runs: a one-shot timer is no longer armed.</summary>
    private void Elapsed(ObservedTimer timer)
    {
        lock (_gate)
        {
            if (timer.Periodic)
            {
                timer.DueAt += timer.Period;
            }
            else
            {
                timer.HasElapsed = true;
                _armed.Remove(timer);
            }
        }
    }

    private void Disarm(ObservedTimer timer)
    {
        lock (_gate)
        {
            timer.Disposed = true;
            _armed.Remove(timer);
        }
    }

    /// <summary>Moves the clock on to the timer's due time if it has not fired yet (off the arming thread, as a real timer fires).</summary>
    private void AutoAdvance(ObservedTimer timer)
    {
        lock (_autoAdvanceGate)
        {
            DateTimeOffset due;
            lock (_gate)
            {
                if (!_armed.Contains(timer))
                {
                    return;
                }

                due = timer.DueAt;
            }

            var now = GetUtcNow();
            if (due > now)
            {
                Advance(due - now);
            }
        }
    }

    private sealed class ObservedTimer(TestTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public ITimer Inner { get; set; } = null!;

        public DateTimeOffset DueAt { get; set; }

        public TimeSpan Period { get; set; }

        public bool Periodic { get; set; }

        public bool HasElapsed { get; set; }

        public bool Disposed { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Arm(this, dueTime, period);
            var changed = Inner.Change(dueTime, period);
            owner.Armed(this, dueTime);
            if (dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan && dueTime <= owner.AutoAdvanceUpTo && !Periodic)
            {
                ThreadPool.QueueUserWorkItem(_ => owner.AutoAdvance(this));
            }

            return changed;
        }

        public void Elapse()
        {
            owner.Elapsed(this);
            callback(state);
        }

        public void Dispose()
        {
            owner.Disarm(this);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            owner.Disarm(this);
            return Inner.DisposeAsync();
        }
    }
}
