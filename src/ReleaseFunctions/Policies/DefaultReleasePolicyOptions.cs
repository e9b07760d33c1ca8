namespace ReleaseFunctions.Policy;

/// <summary>
/// The release policy used for a repository without <c>.github/release-policy.yml</c> (and for every repository when
/// GitHub is not configured). Set as <c>ReleaseFunctions__DefaultPolicy__*</c>: one stage <c>production</c> rolled
/// out as a canary, judged on <c>error_rate</c> and <c>latency_p99_ms</c>.
/// </summary>
public sealed class DefaultReleasePolicyOptions
{
    /// <summary>The stage's deployment provider. Default <c>sandbox</c>.</summary>
    public string TargetProvider { get; set; } = "sandbox";

    /// <summary>Canary weights in percent, each step above the one before, from 1 to 100. Default 10, 50.</summary>
    public IReadOnlyList<int> CanarySteps { get; set; } = [10, 50];

    /// <summary>How long each canary step soaks before its gate. Default 2 minutes.</summary>
    public TimeSpan Soak { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The SLI provider of the gate. Default: <c>ReleaseFunctions__Sli__DefaultProvider</c> (itself <c>sandbox</c> by default).</summary>
    public string? SliProvider { get; set; }

    /// <summary>How long after completion the post-release review runs. Default 24 hours.</summary>
    public TimeSpan ReviewDelay { get; set; } = TimeSpan.FromHours(24);
}
