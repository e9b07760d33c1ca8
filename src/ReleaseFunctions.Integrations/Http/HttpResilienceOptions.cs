namespace ReleaseFunctions.Integrations.Http;

/// <summary>
/// How an adapter retries an outside call. Defaults: 4 attempts, exponential back-off from 1 s capped at 30 s
/// with jitter, 30 s per attempt. A <c>Retry-After</c> longer than <see cref="MaxDelay"/> ends the call at once as
/// throttled instead of waiting, so nothing waits or retries without bound.
/// </summary>
public sealed record HttpResilienceOptions
{
    /// <summary>Attempts in all, the first included (1 to 10).</summary>
    public int MaxAttempts
    {
        get;
        init => field = value is >= 1 and <= 10
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxAttempts), value, "MaxAttempts counts every attempt, the first included; expected 1 to 10.");
    } = 4;

    /// <summary>The first back-off delay; each later one doubles (more than zero, at most 1 minute).</summary>
    public TimeSpan BaseDelay
    {
        get;
        init => field = value > TimeSpan.Zero && value <= TimeSpan.FromMinutes(1)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(BaseDelay), value, "BaseDelay must be more than zero and at most 1 minute.");
    } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts, also the longest Retry-After honoured (1 s to 10 minutes).</summary>
    public TimeSpan MaxDelay
    {
        get;
        init => field = value >= TimeSpan.FromSeconds(1) && value <= TimeSpan.FromMinutes(10)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxDelay), value, "MaxDelay must be from 1 second to 10 minutes.");
    } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may take, response body included (1 s to 10 minutes).</summary>
    public TimeSpan AttemptTimeout
    {
        get;
        init => field = value >= TimeSpan.FromSeconds(1) && value <= TimeSpan.FromMinutes(10)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), value, "AttemptTimeout must be from 1 second to 10 minutes.");
    } = TimeSpan.FromSeconds(30);

    /// <summary>Randomise back-off delays so many callers do not retry in step (on by default).</summary>
    public bool UseJitter { get; init; } = true;
}
