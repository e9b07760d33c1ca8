namespace ReleaseFunctions.Durable;

/// <summary>How the worker dispatches work. Validated when the worker is added.</summary>
public sealed class DurableTaskWorkerOptions
{
    /// <summary>Episodes run at once. Default: 4.</summary>
    public int MaxConcurrentOrchestrations { get; set; } = 4;

    /// <summary>Activities run at once. Default: 16 (activities mostly wait on I/O).</summary>
    public int MaxConcurrentActivities { get; set; } = 16;

    /// <summary>How long an episode's lease lasts; an episode that cannot commit within it runs again. Default: 1 minute.</summary>
    public TimeSpan OrchestrationLease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an activity's lease lasts; renewed at half-time while the activity runs. Default: 5 minutes.</summary>
    public TimeSpan ActivityLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Longest sleep of an idle dispatcher. Dispatchers wake on new work and at the nearest due time; this is only a
    /// safety net against a missed signal from another process. Default: 1 minute.
    /// </summary>
    public TimeSpan MaxIdleWait { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Wait before retrying after the store failed or an episode crashed. Default: 1 second.</summary>
    public TimeSpan ErrorBackoff { get; set; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        Require(MaxConcurrentOrchestrations is >= 1 and <= 256, nameof(MaxConcurrentOrchestrations), "from 1 to 256", MaxConcurrentOrchestrations);
        Require(MaxConcurrentActivities is >= 1 and <= 1024, nameof(MaxConcurrentActivities), "from 1 to 1024", MaxConcurrentActivities);
        Require(OrchestrationLease >= TimeSpan.FromSeconds(1), nameof(OrchestrationLease), "at least 1 second", OrchestrationLease);
        Require(ActivityLease >= TimeSpan.FromSeconds(1), nameof(ActivityLease), "at least 1 second", ActivityLease);
        Require(MaxIdleWait > TimeSpan.Zero, nameof(MaxIdleWait), "positive", MaxIdleWait);
        Require(ErrorBackoff > TimeSpan.Zero, nameof(ErrorBackoff), "positive", ErrorBackoff);
    }

    private static void Require(bool ok, string name, string expected, object actual)
    {
        if (!ok)
        {
            throw new ArgumentException($"DurableTaskWorkerOptions.{name} must be {expected}; got {actual}.");
        }
    }
}
