namespace ReleaseFunctions.Integrations.Sandbox;

/// <summary>
/// How the sandbox runs. Defaults: service "sandbox-service", stable "1.0.0", candidate "1.1.0", 20 requests a second
/// of steady load, SLIs bucketed per 10 s, an hour of traffic kept, candidate weight 0, an unseeded router, the feature
/// flag "new-checkout" at 0%, an empty migration history.
/// </summary>
public sealed record SandboxOptions
{
    public string ServiceName { get; init => field = NonBlank(value, nameof(ServiceName)); } = "sandbox-service";

    public string StableVersion { get; init => field = NonBlank(value, nameof(StableVersion)); } = "1.0.0";

    public string CandidateVersion { get; init => field = NonBlank(value, nameof(CandidateVersion)); } = "1.1.0";

    /// <summary>Requests a second the load generator sends through the router (0 turns it off, at most 1000).</summary>
    public double LoadRatePerSecond
    {
        get;
        init => field = value is >= 0 and <= 1000
            ? value
            : throw new ArgumentOutOfRangeException(nameof(LoadRatePerSecond), value, "LoadRatePerSecond must be from 0 (off) to 1000.");
    } = 20;

    /// <summary>Requests the load generator lets be in flight at once; ticks beyond it are skipped (1 to 10000).</summary>
    public int MaxRequestsInFlight
    {
        get;
        init => field = value is >= 1 and <= 10_000
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxRequestsInFlight), value, "MaxRequestsInFlight must be from 1 to 10000.");
    } = 64;

    /// <summary>The width of one SLI sample when a query names no step (1 s to 1 hour).</summary>
    public TimeSpan BucketInterval
    {
        get;
        init => field = value >= TimeSpan.FromSeconds(1) && value <= TimeSpan.FromHours(1)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(BucketInterval), value, "BucketInterval must be from 1 second to 1 hour.");
    } = TimeSpan.FromSeconds(10);

    /// <summary>How long observed requests are kept for SLI queries (1 minute to 7 days).</summary>
    public TimeSpan Retention
    {
        get;
        init => field = value >= TimeSpan.FromMinutes(1) && value <= TimeSpan.FromDays(7)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Retention), value, "Retention must be from 1 minute to 7 days.");
    } = TimeSpan.FromHours(1);

    /// <summary>A seed for the router's choice, for repeatable runs; null picks a random seed.</summary>
    public int? RandomSeed { get; init; }

    /// <summary>
    /// Where the router keeps its split and the changes it applied, so a restart of the app finds traffic where the
    /// release left it, as a real router would (null: in memory only, reset at each start).
    /// </summary>
    public string? StateFile { get; init; }

    /// <summary>
    /// The feature flag the sandbox's App Configuration store holds and its stable version reads: the share of requests it
    /// rolls out runs the candidate's code (default "new-checkout").
    /// </summary>
    public string FeatureFlagName { get; init => field = NonBlank(value, nameof(FeatureFlagName)); } = "new-checkout";

    /// <summary>Where the sandbox's App Configuration store keeps its key-values across restarts (null: in memory only).</summary>
    public string? FeatureFlagStateFile { get; init; }

    /// <summary>Where the sandbox's database keeps its migration history across restarts (null: in memory only).</summary>
    public string? MigrationStateFile { get; init; }

    private static string NonBlank(string value, string name)
        => string.IsNullOrWhiteSpace(value) ? throw new ArgumentException($"{name} must not be blank.", name) : value;
}

/// <summary>How the candidate misbehaves: a share of requests that fail with 500 (0 to 1) and latency added to each.</summary>
public sealed record CandidateBehaviour
{
    public static readonly CandidateBehaviour Healthy = new(0, TimeSpan.Zero);

    public CandidateBehaviour(double errorRate, TimeSpan addedLatency)
    {
        ErrorRate = errorRate is >= 0 and <= 1
            ? errorRate
            : throw new ArgumentOutOfRangeException(nameof(errorRate), errorRate, "An error rate is a share from 0 to 1.");
        AddedLatency = addedLatency >= TimeSpan.Zero && addedLatency <= TimeSpan.FromSeconds(30)
            ? addedLatency
            : throw new ArgumentOutOfRangeException(nameof(addedLatency), addedLatency, "Added latency must be from 0 to 30 seconds.");
    }

    public double ErrorRate { get; }
    public TimeSpan AddedLatency { get; }
}
