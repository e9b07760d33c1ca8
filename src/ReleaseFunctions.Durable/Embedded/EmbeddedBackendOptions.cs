namespace ReleaseFunctions.Durable.Embedded;

/// <summary>How the embedded backend hands out work. Validated when the backend is added.</summary>
public sealed class EmbeddedBackendOptions
{
    /// <summary>Orchestration work items given to the worker at once (it may ask for fewer). Default: 16.</summary>
    public int MaxConcurrentOrchestrations { get; set; } = 16;

    /// <summary>Activity work items given to the worker at once (it may ask for fewer). Default: 32 (activities mostly wait on I/O).</summary>
    public int MaxConcurrentActivities { get; set; } = 32;

    /// <summary>How long an episode's lease lasts; an episode not committed within it runs again. Default: 1 minute.</summary>
    public TimeSpan OrchestrationLease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an activity's lease lasts; renewed at half-time while the worker runs it. Default: 5 minutes.</summary>
    public TimeSpan ActivityLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Longest sleep of an idle dispatcher. Dispatchers wake on new work and at the nearest due time; this is only a
    /// safety net against a missed signal from another process. Default: 1 minute.
    /// </summary>
    public TimeSpan MaxIdleWait { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Wait before retrying after the store failed or a work item went back unanswered. Default: 1 second.</summary>
    public TimeSpan ErrorBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often an idle work-item stream carries a health ping. The SDK worker reconnects after two minutes of
    /// silence. This is transport time, so it runs on the real clock. Default: 30 seconds.
    /// </summary>
    public TimeSpan HealthPingInterval { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        Require(MaxConcurrentOrchestrations is >= 1 and <= 1024, nameof(MaxConcurrentOrchestrations), "from 1 to 1024", MaxConcurrentOrchestrations);
        Require(MaxConcurrentActivities is >= 1 and <= 4096, nameof(MaxConcurrentActivities), "from 1 to 4096", MaxConcurrentActivities);
        Require(OrchestrationLease >= TimeSpan.FromSeconds(1), nameof(OrchestrationLease), "at least 1 second", OrchestrationLease);
        Require(ActivityLease >= TimeSpan.FromSeconds(1), nameof(ActivityLease), "at least 1 second", ActivityLease);
        Require(MaxIdleWait > TimeSpan.Zero, nameof(MaxIdleWait), "positive", MaxIdleWait);
        Require(ErrorBackoff > TimeSpan.Zero, nameof(ErrorBackoff), "positive", ErrorBackoff);
        Require(HealthPingInterval >= TimeSpan.FromSeconds(1) && HealthPingInterval < TimeSpan.FromMinutes(2), nameof(HealthPingInterval), "from 1 second to under 2 minutes", HealthPingInterval);
    }

    private static void Require(bool ok, string name, string expected, object actual)
    {
        if (!ok)
        {
            throw new ArgumentException($"EmbeddedBackendOptions.{name} must be {expected}; got {actual}.");
        }
    }
}
