namespace ReleaseFunctions.Policy;

/// <summary>
/// The release policy used for a repository without <c>.github/release-policy.yml</c> (and for every repository when
/// GitHub is not configured). Set as <c>ReleaseFunctions__DefaultPolicy__*</c>: one stage <c>production</c> rolled
/// out as a canary, judged on <c>error_rate</c> and <c>latency_p99_ms</c> by
/// <see cref="AnalysisCount"/> measurements <see cref="AnalysisInterval"/> apart: an error rate under 1% (critical)
/// and a p99 latency under <see cref="LatencyP99LimitMs"/>.
/// </summary>
public sealed class DefaultReleasePolicyOptions
{
    /// <summary>The stage's deployment provider. Default <c>sandbox</c>.</summary>
    public string TargetProvider { get; set; } = "sandbox";

    /// <summary>
    /// The target's parameters, from <c>ReleaseFunctions__DefaultPolicy__TargetParameters__{name}</c> (e.g. <c>resource_id</c>
    /// for app-service or container-apps). Default none, which is what the sandbox and the HTTP hook take.
    /// </summary>
    public IReadOnlyDictionary<string, string> TargetParameters { get; set; } = new Dictionary<string, string>();

    /// <summary>The gate's error-rate query, in the SLI provider's language (a ratio from 0 to 1). Default: the sandbox SLI <c>error_rate</c>.</summary>
    public string? ErrorRateQuery { get; set; }

    /// <summary>The gate's p99 latency query in milliseconds, in the SLI provider's language. Default: the sandbox SLI <c>latency_p99_ms</c>.</summary>
    public string? LatencyP99Query { get; set; }

    /// <summary>Canary weights in percent, each step above the one before, from 1 to 100. Default 10, 50.</summary>
    public IReadOnlyList<int> CanarySteps { get; set; } = [10, 50];

    /// <summary>How long each canary step soaks before its gate. Default 2 minutes.</summary>
    public TimeSpan Soak { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The SLI provider of the gate. Default: <c>ReleaseFunctions__Sli__DefaultProvider</c> (itself <c>sandbox</c> by default).</summary>
    public string? SliProvider { get; set; }

    /// <summary>How often the gate is measured after a step's soak. Default 1 minute.</summary>
    public TimeSpan AnalysisInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many measurements judge a step, from 1 to 100. Default 3.</summary>
    public int AnalysisCount { get; set; } = 3;

    /// <summary>
    /// The p99 latency, in milliseconds, the candidate must stay under. Default 500. An absolute limit rather than one
    /// relative to the stable version: on a quiet service a few samples of sub-millisecond latencies differ by more than
    /// any sensible percentage, and a healthy release must not be rolled back for that.
    /// </summary>
    public double LatencyP99LimitMs { get; set; } = 500;

    /// <summary>How long after completion the post-release review runs. Default 24 hours.</summary>
    public TimeSpan ReviewDelay { get; set; } = TimeSpan.FromHours(24);
}
