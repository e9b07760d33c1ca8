using System.Text.RegularExpressions;
using ReleaseFunctions.Core.Approvals;
using ReleaseFunctions.Core.ErrorBudget;
using ReleaseFunctions.Core.Freeze;
using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Migrations;
using ReleaseFunctions.Core.Notifications;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Preflight;
using ReleaseFunctions.Core.ReleaseNotes;

namespace ReleaseFunctions.Core.Policy;

/// <summary>One stage of a rollout (e.g. staging, or a production wave): where, how, judged by what, approved by whom.</summary>
public sealed partial record StagePolicy
{
    public StagePolicy(string name, TargetSpec target, ReleaseStrategy strategy, GateDefinition? gate, IReadOnlyList<ApprovalRequirement> approvals)
    {
        if (string.IsNullOrWhiteSpace(name) || !NamePattern().IsMatch(name))
        {
            throw new ArgumentException($"A stage name is lower-case letters, digits and '-', starting with a letter; got '{name}'.", nameof(name));
        }

        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrWhiteSpace(target.Provider, nameof(target));
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(approvals);
        foreach (var approval in approvals)
        {
            if (approval.BeforeStage != name)
            {
                throw new ArgumentException($"An approval of stage '{name}' guards stage '{approval.BeforeStage}'.", nameof(approvals));
            }

            if (approval.BeforeStep > strategy.StepCount)
            {
                throw new ArgumentException($"Stage '{name}' has {strategy.StepCount} step(s); an approval cannot come before step {approval.BeforeStep}.", nameof(approvals));
            }
        }

        Name = name;
        Target = target;
        Strategy = strategy;
        Gate = gate;
        Approvals = approvals;
    }

    public string Name { get; }
    public TargetSpec Target { get; }
    public ReleaseStrategy Strategy { get; }

    /// <summary>The gate judging each step; null means the stage only soaks.</summary>
    public GateDefinition? Gate { get; }

    public IReadOnlyList<ApprovalRequirement> Approvals { get; }

    /// <summary>The approvals guarding a step (from 1), or the start of the stage when <paramref name="step"/> is null.</summary>
    public IReadOnlyList<ApprovalRequirement> ApprovalsBefore(int? step) => Approvals.Where(a => a.BeforeStep == step).ToArray();

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    internal static partial Regex NamePattern();
}

/// <summary>What an inconclusive analysis does.</summary>
public enum InconclusiveAction
{
    /// <summary>The release waits for a person to /promote, /resume or /rollback.</summary>
    AwaitDecision,
    /// <summary>The release rolls back as if the gate had failed.</summary>
    Rollback,
}

/// <summary>What a newer release of a service does while an older one is still in flight in the same stage.</summary>
public enum ConcurrencyMode
{
    /// <summary>Wait until the older release has finished (the default).</summary>
    Queue,
    /// <summary>Stop the older release (it rolls back) and go first.</summary>
    Supersede,
}

/// <summary>When a release rolls back on its own (people may always ask for it with /rollback).</summary>
public sealed record RollbackPolicy(bool OnFailedGate = true, bool OnApprovalTimeout = true, InconclusiveAction OnInconclusive = InconclusiveAction.AwaitDecision)
{
    /// <summary>Roll back on a failed gate and on a rejected or timed-out approval; wait for a person when inconclusive. /rollback always works.</summary>
    public static RollbackPolicy Default { get; } = new();
}

/// <summary>
/// A repository's release policy (<c>.github/release-policy.yml</c>, parsed by <see cref="ReleasePolicyParser"/>),
/// or the default built from settings (<see cref="CreateDefault"/>).
/// </summary>
public sealed record ReleasePolicy
{
    /// <summary>24 hours.</summary>
    public static readonly TimeSpan DefaultReviewDelay = TimeSpan.FromHours(24);

    public ReleasePolicy(IReadOnlyList<StagePolicy> stages, FreezeCalendar freeze, ErrorBudgetPolicy? errorBudget, RollbackPolicy rollback, TimeSpan reviewDelay, ConcurrencyMode concurrency = ConcurrencyMode.Queue)
    {
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(freeze);
        ArgumentNullException.ThrowIfNull(rollback);
        if (stages.Count == 0)
        {
            throw new ArgumentException("A policy needs at least one stage.", nameof(stages));
        }

        var duplicate = stages.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Stage names must be unique; '{duplicate.Key}' appears {duplicate.Count()} times.", nameof(stages));
        }

        if (reviewDelay <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(reviewDelay), reviewDelay, "The review delay is a positive duration, e.g. 24h.");
        }

        Stages = stages;
        Freeze = freeze;
        ErrorBudget = errorBudget;
        Rollback = rollback;
        ReviewDelay = reviewDelay;
        Concurrency = concurrency;
    }

    /// <summary>The stages, run in order.</summary>
    public IReadOnlyList<StagePolicy> Stages { get; }

    public FreezeCalendar Freeze { get; }

    /// <summary>The error-budget gate checked before a release starts; null when the policy has none.</summary>
    public ErrorBudgetPolicy? ErrorBudget { get; }

    public RollbackPolicy Rollback { get; }

    /// <summary>How long after completion the post-release review runs.</summary>
    public TimeSpan ReviewDelay { get; }

    /// <summary>One release per service and stage is in flight; a newer one queues behind or supersedes. Default: queue.</summary>
    public ConcurrencyMode Concurrency { get; }

    /// <summary>The expand step run before any traffic moves and the contract step run after a clean review; null when the policy has none.</summary>
    public MigrationPolicy? Migrations { get; init; }

    /// <summary>The pre-flight gate judged on the merge commit before any traffic moves; null when the policy has none.</summary>
    public PreflightPolicy? Preflight { get; init; }

    /// <summary>Which release events go to which chat channels and webhooks; null when the policy names none.</summary>
    public NotificationPolicy? Notifications { get; init; }

    /// <summary>The version, release notes, tag and GitHub release a promotion leaves behind; null when the policy asks for none.</summary>
    public ReleaseNotesPolicy? ReleaseNotes { get; init; }

    /// <summary>
    /// The policy for a repository without a policy file: one stage "production" on the configured target, a canary
    /// through <see cref="DefaultPolicyOptions.CanaryWeights"/>, each step soaked and judged by one critical
    /// error-rate objective, automatic rollback, no approvals, no freeze windows, no error-budget gate.
    /// </summary>
    public static ReleasePolicy CreateDefault(DefaultPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var steps = options.CanaryWeights.Select(w => new CanaryStep(w, options.StepSoak)).ToArray();
        var errorRate = new SliObjective(
            "error_rate", options.SliProvider, options.ErrorRateQuery, SliAggregation.Mean, SliUnit.Ratio,
            [new AbsoluteCriterion(ComparisonOperator.LessThan, options.MaxErrorRatePercent, isPercent: true)], [],
            critical: true);
        var stage = new StagePolicy("production", new TargetSpec(options.TargetProvider, options.TargetParameters), new CanaryStrategy(steps), new GateDefinition([errorRate]), []);
        return new ReleasePolicy([stage], FreezeCalendar.None, null, RollbackPolicy.Default, options.ReviewDelay);
    }
}

/// <summary>
/// Settings for <see cref="ReleasePolicy.CreateDefault"/>. Defaults: canary weights 10 and 50 (then promotion),
/// 10 minutes' soak per step, error rate below 1%, review 24 hours after completion.
/// </summary>
public sealed record DefaultPolicyOptions
{
    public DefaultPolicyOptions(
        string targetProvider,
        IReadOnlyDictionary<string, string> targetParameters,
        string sliProvider,
        string errorRateQuery,
        IReadOnlyList<int>? canaryWeights = null,
        TimeSpan? stepSoak = null,
        double maxErrorRatePercent = 1,
        TimeSpan? reviewDelay = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetProvider);
        ArgumentNullException.ThrowIfNull(targetParameters);
        ArgumentException.ThrowIfNullOrWhiteSpace(sliProvider);
        ArgumentException.ThrowIfNullOrWhiteSpace(errorRateQuery);
        if (!(maxErrorRatePercent > 0 && maxErrorRatePercent <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(maxErrorRatePercent), maxErrorRatePercent, "The maximum error rate is a percentage above 0 and at most 100.");
        }

        TargetProvider = targetProvider;
        TargetParameters = targetParameters;
        SliProvider = sliProvider;
        ErrorRateQuery = errorRateQuery;
        CanaryWeights = canaryWeights ?? [10, 50];
        StepSoak = stepSoak ?? TimeSpan.FromMinutes(10);
        MaxErrorRatePercent = maxErrorRatePercent;
        ReviewDelay = reviewDelay ?? ReleasePolicy.DefaultReviewDelay;
        // Build the steps once so bad weights or soak are refused here, with the settings, not at the first release.
        _ = new CanaryStrategy(CanaryWeights.Select(w => new CanaryStep(w, StepSoak)).ToArray());
        if (ReviewDelay <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(reviewDelay), reviewDelay, "The review delay is a positive duration.");
        }
    }

    public string TargetProvider { get; }
    public IReadOnlyDictionary<string, string> TargetParameters { get; }
    public string SliProvider { get; }

    /// <summary>The query for the error ratio (0 to 1) of the canary, baseline and pre-release populations.</summary>
    public string ErrorRateQuery { get; }

    public IReadOnlyList<int> CanaryWeights { get; }
    public TimeSpan StepSoak { get; }
    public double MaxErrorRatePercent { get; }
    public TimeSpan ReviewDelay { get; }

    /// <summary>One release per service and stage is in flight; a newer one queues behind or supersedes. Default: queue.</summary>
    public ConcurrencyMode Concurrency { get; }
}
