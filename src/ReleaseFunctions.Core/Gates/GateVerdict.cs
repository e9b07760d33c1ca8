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
    SliWindow? ReferenceWindow = null);

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
