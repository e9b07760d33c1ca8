namespace ReleaseFunctions.Integrations.GitHub.Webhooks;

/// <summary>
/// A delivery log held in memory, bounded in both size and age: an id is remembered for at most
/// <see cref="Retention"/> (the interval [recordedAt, recordedAt + Retention) counts as a duplicate) and at most
/// <see cref="Capacity"/> ids are kept, the oldest dropped first.
/// </summary>
public sealed class InMemoryWebhookDeliveryLog : IWebhookDeliveryLog
{
    private readonly object _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _recorded = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, DateTimeOffset At)> _byAge = new();
    private readonly TimeProvider _time;

    /// <param name="capacity">Most ids kept; default 10,000.</param>
    /// <param name="retention">How long an id is kept; default 24 hours (GitHub redelivers within days only on request).</param>
    public InMemoryWebhookDeliveryLog(TimeProvider time, int capacity = 10_000, TimeSpan? retention = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var keep = retention ?? TimeSpan.FromHours(24);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(keep, TimeSpan.Zero, nameof(retention));
        _time = time;
        Capacity = capacity;
        Retention = keep;
    }

    public int Capacity { get; }
    public TimeSpan Retention { get; }

    public ValueTask<bool> TryRecordAsync(string deliveryId, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryId);
        lock (_gate)
        {
            Expire(_time.GetUtcNow());
            if (_recorded.ContainsKey(deliveryId))
            {
                return ValueTask.FromResult(false);
            }

            while (_recorded.Count >= Capacity)
            {
                var (oldest, at) = _byAge.Dequeue();
                RemoveIfSame(oldest, at);
            }

            _recorded[deliveryId] = receivedAt;
            _byAge.Enqueue((deliveryId, receivedAt));
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask ForgetAsync(string deliveryId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // The queue entry stays; RemoveIfSame skips it later because the id is gone or re-recorded at another time.
            _recorded.Remove(deliveryId);
        }

        return ValueTask.CompletedTask;
    }

    private void Expire(DateTimeOffset now)
    {
        while (_byAge.TryPeek(out var entry) && now - entry.At >= Retention)
        {
            _byAge.Dequeue();
            RemoveIfSame(entry.Id, entry.At);
        }
    }

    private void RemoveIfSame(string id, DateTimeOffset at)
    {
        if (_recorded.TryGetValue(id, out var recordedAt) && recordedAt == at)
        {
            _recorded.Remove(id);
        }
    }
}
