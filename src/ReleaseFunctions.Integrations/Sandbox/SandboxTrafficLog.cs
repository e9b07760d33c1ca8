namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>One request the router forwarded: when it arrived, which population served it, whether it failed, how long it took.</summary>
internal readonly record struct ObservedRequest(DateTimeOffset ArrivedAt, string Population, bool Failed, double LatencyMilliseconds);

/// <summary>The requests seen by the router, kept for <see cref="SandboxOptions.Retention"/>; safe for many threads.</summary>
internal sealed class SandboxTrafficLog(TimeSpan retention)
{
    private readonly object _gate = new();
    private readonly Queue<ObservedRequest> _requests = new();

    public int Count
    {
        get { lock (_gate) { return _requests.Count; } }
    }

    public void Record(ObservedRequest request)
    {
        lock (_gate)
        {
            _requests.Enqueue(request);
            while (_requests.TryPeek(out var oldest) && oldest.ArrivedAt < request.ArrivedAt - retention)
            {
                _requests.Dequeue();
            }
        }
    }

    /// <summary>The requests that arrived in [start, end).</summary>
    public IReadOnlyList<ObservedRequest> Between(DateTimeOffset start, DateTimeOffset end)
    {
        lock (_gate)
        {
            return _requests.Where(r => r.ArrivedAt >= start && r.ArrivedAt < end).ToArray();
        }
    }
}
