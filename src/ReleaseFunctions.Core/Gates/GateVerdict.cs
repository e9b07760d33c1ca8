using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Core.Gates;

/// <summary>What a gate, an objective or an analysis run concluded.</summary>
public enum GateOutcome
{
    Pass,
    /// <summary>Marginal: not failed, not clean; the score is between the marginal and the pass threshold.</summary>
    Warning,
    Fail,
    /// <summary>Not enough evidence either way (no data). Never treated as a pass.</summary>
    Inconclusive,
}

/// <summary>One criterion checked against the observed value.</summary>
/// <param name="Criterion">The criterion as written.</param>
/// <param name="Threshold">The threshold the observed value was compared with, in the objective's unit (for a relative criterion, derived from the reference).</param>
/// <param name="Held">Whether the criterion held.</param>
/// <param name="Note">Why a violated relative criterion was still counted as held (not significant), or null.</param>
public sealed record CriterionCheck(string Criterion, double Threshold, bool Held, string? Note);

/// <summary>
/// The query an objective's SLI source was asked to run. Each source writes the parameters into the template as literals
/// of its own query language (KQL, PromQL with its <c>{__range}</c> and <c>{__step}</c>, an OData filter), so the filled text
/// is the source's to make: the evidence keeps the template and every value it was given, from which a person (or
/// <see cref="Sli.QueryTemplate"/>) reads the query that ran.
/// </summary>
/// <param name="Provider">The SLI source (<see cref="Ports.ISliSource.Provider"/>).</param>
/// <param name="Template">The query as the policy wrote it, with its <c>{name}</c> placeholders.</param>
/// <param name="Parameters">The release's facts and the objective's own parameters, as <see cref="SliObjective.ToQuery"/> merges them.</param>
public sealed record ObjectiveQuery(string Provider, string Template, IReadOnlyDictionary<string, string> Parameters);

/// <summary>The evidence behind one objective's outcome.</summary>
public sealed record ObjectiveEvidence(
    string Objective,
    GateOutcome Outcome,
    double? Observed,
    double? Reference,
    string? ReferencePopulation,
    IReadOnlyList<CriterionCheck> Checks,
    double? PValue,
    double? ShiftEstimate,
    int CanarySamples,
    int ReferenceSamples,
    SliWindow? Window,
    string Reason,
    SliWindow? ReferenceWindow = null)
{
    /// <summary>The query the objective's source ran (or was to run, when it gave no reading); null in evidence recorded before it was kept.</summary>
    public ObjectiveQuery? Query { get; init; }

    /// <summary>
    /// The comparison that decided, in one exact line: the thresholds and relative bounds compared with, and whether the
    /// Mann–Whitney rank test ran (its p-value against the significance level and the shift) or why it did not, e.g.
    /// "threshold: mean &lt; 0.01" or "aggregates only: fewer than 5 samples (canary 3, baseline 12), no rank test".
    /// </summary>
    public string? Test { get; init; }
}

/// <summary>A gate's verdict with its evidence, per objective, and a one-line reason for people.</summary>
/// <param name="Score">Score in percent of the weights of objectives with data; null when none had data.</param>
public sealed record GateVerdict(GateOutcome Outcome, double? Score, IReadOnlyList<ObjectiveEvidence> Objectives, string Reason)
{
    /// <summary>
    /// True when some objective had no data and none that had data failed: the verdict says "not measured yet" rather
    /// than "bad", so an analysis may wait for the next measurement before it lets the missing data decide.
    /// </summary>
    public bool LacksData => FiringAlerts.Count == 0 && Objectives.Any(o => o.Observed is null) && Objectives.All(o => o.Observed is null || o.Outcome != GateOutcome.Fail);

    /// <summary>Alerts of the gate's watch that fired during the release: the verdict fails, and the analysis stops at it.</summary>
    public IReadOnlyList<Ports.FiredAlert> FiringAlerts { get; init; } = [];

    /// <summary>Alerts that were already firing before the release moved traffic: evidence, not a verdict.</summary>
    public IReadOnlyList<Ports.FiredAlert> PreexistingAlerts { get; init; } = [];

    /// <summary>This verdict with what fired alerts say: any that count fail it, whatever the SLIs said.</summary>
    public GateVerdict WithAlerts(AlertJudgement judgement)
    {
        ArgumentNullException.ThrowIfNull(judgement);
        var failing = judgement.Failing;
        var earlier = judgement.Preexisting.Count == 0 ? "" : $"; already firing before the release (evidence only): {string.Join(", ", judgement.Preexisting)}";
        return this with
        {
            Outcome = failing.Count > 0 ? GateOutcome.Fail : Outcome,
            Reason = (failing.Count > 0 ? $"failed: alert(s) firing: {string.Join(", ", failing)}; SLIs {Reason}" : Reason) + earlier,
            FiringAlerts = failing,
            PreexistingAlerts = judgement.Preexisting,
        };
    }
}
