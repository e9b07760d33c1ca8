namespace ReleaseFunctions.Durable;

/// <summary>
/// How an activity or sub-orchestration call is retried. Retries are durable: the wait between attempts is a
/// durable timer, so a retry schedule survives a restart. Attempt n (n ≥ 2) waits
/// <c>min(FirstRetryInterval × BackoffCoefficient^(n-2), MaxRetryInterval)</c>.
/// </summary>
public sealed record RetryPolicy
{
    /// <param name="maxNumberOfAttempts">Attempts in all, including the first; at least 1.</param>
    /// <param name="firstRetryInterval">Wait before the second attempt; positive.</param>
    /// <param name="backoffCoefficient">Multiplier per further attempt; at least 1. Default 1 (constant interval).</param>
    /// <param name="maxRetryInterval">Upper bound for one wait. Default: one hour.</param>
    /// <param name="handle">Which failures are retried. Default: all.</param>
    public RetryPolicy(
        int maxNumberOfAttempts,
        TimeSpan firstRetryInterval,
        double backoffCoefficient = 1.0,
        TimeSpan? maxRetryInterval = null,
        Func<TaskFailureDetails, bool>? handle = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNumberOfAttempts, 1);
        if (firstRetryInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(firstRetryInterval), firstRetryInterval, "The first retry interval must be positive.");
        }

        if (!(backoffCoefficient >= 1.0) || double.IsInfinity(backoffCoefficient))
        {
            throw new ArgumentOutOfRangeException(nameof(backoffCoefficient), backoffCoefficient, "The backoff coefficient must be a finite number of at least 1.");
        }

        var max = maxRetryInterval ?? TimeSpan.FromHours(1);
        if (max < firstRetryInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(maxRetryInterval), max, "The max retry interval must not be shorter than the first retry interval.");
        }

        MaxNumberOfAttempts = maxNumberOfAttempts;
        FirstRetryInterval = firstRetryInterval;
        BackoffCoefficient = backoffCoefficient;
        MaxRetryInterval = max;
        Handle = handle ?? (_ => true);
    }

    public int MaxNumberOfAttempts { get; }
    public TimeSpan FirstRetryInterval { get; }
    public double BackoffCoefficient { get; }
    public TimeSpan MaxRetryInterval { get; }
    public Func<TaskFailureDetails, bool> Handle { get; }

    /// <summary>The wait before attempt <paramref name="attempt"/> (2 for the first retry).</summary>
    public TimeSpan DelayBeforeAttempt(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 2);
        var ticks = FirstRetryInterval.Ticks * Math.Pow(BackoffCoefficient, attempt - 2);
        return ticks >= MaxRetryInterval.Ticks ? MaxRetryInterval : TimeSpan.FromTicks((long)ticks);
    }
}

/// <summary>Options for one activity or sub-orchestration call.</summary>
public record TaskOptions(RetryPolicy? Retry = null)
{
    public static TaskOptions WithRetry(RetryPolicy policy) => new(policy);
}

/// <summary>Options for a sub-orchestration call: an optional instance id (default: derived deterministically).</summary>
public sealed record SubOrchestrationOptions(string? InstanceId = null, RetryPolicy? Retry = null) : TaskOptions(Retry);
