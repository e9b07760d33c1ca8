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
    public bool LacksData => Objectives.Any(o => o.Observed is null) && Objectives.All(o => o.Observed is null || o.Outcome != GateOutcome.Fail);
}
