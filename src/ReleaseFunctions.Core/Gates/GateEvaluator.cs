using System.Globalization;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Core.Gates;

/// <summary>
/// Judges one measurement of a gate from SLI readings. A pure function of the definition and the readings.
/// </summary>
public static class GateEvaluator
{
    /// <summary>
    /// Evaluates every objective against its reading (keyed by objective name; a missing key is no data). A reading
    /// holds the <see cref="SliPopulations.Canary"/> series and, for relative criteria, the series of the objective's
    /// reference population (<see cref="SliPopulations.Baseline"/> or <see cref="SliPopulations.PreRelease"/>). Then combines:
    /// a failed critical objective fails the gate; otherwise, when some objective has no data, the gate is
    /// inconclusive unless it would fail even if those objectives passed; otherwise the score decides.
    /// </summary>
    /// <param name="parameters">
    /// The release's facts the queries were run with (as given to <see cref="SliObjective.ToQuery"/>), kept in each
    /// objective's evidence with its query; null records the objective's own parameters only.
    /// </param>
    public static GateVerdict Evaluate(GateDefinition gate, IReadOnlyDictionary<string, SliReading> readings, IReadOnlyDictionary<string, string>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(readings);
        var evidence = gate.Objectives
            .Select(o =>
            {
                var reading = readings.TryGetValue(o.Name, out var read) ? read : null;
                return EvaluateObjective(gate, o, reading) with { Query = QueryOf(o, reading, parameters) };
            })
            .ToArray();

        double earned = 0, weighed = 0, undecided = 0;
        foreach (var (objective, result) in gate.Objectives.Zip(evidence))
        {
            switch (result.Outcome)
            {
                case GateOutcome.Pass: earned += objective.Weight; weighed += objective.Weight; break;
                case GateOutcome.Warning: earned += objective.Weight / 2.0; weighed += objective.Weight; break;
                case GateOutcome.Fail: weighed += objective.Weight; break;
                default: undecided += objective.Weight; break;
            }
        }

        double? score = weighed > 0 ? 100.0 * earned / weighed : null;
        var scoreText = score is null ? "no score" : $"score {Format(score.Value)} (pass {Format(gate.Score.Pass)}, marginal {Format(gate.Score.Marginal)})";
        var failedCritical = gate.Objectives.Zip(evidence).Where(p => p.First.Critical && p.Second.Outcome == GateOutcome.Fail).Select(p => p.First.Name).ToArray();
        // The gate's reason ends with the objectives that held it back, so one line tells the whole story.
        var shortfalls = string.Concat(evidence.Where(e => e.Outcome is GateOutcome.Fail or GateOutcome.Warning).Select(e => $"; {e.Reason}"));
        if (failedCritical.Length > 0)
        {
            return new GateVerdict(GateOutcome.Fail, score, evidence, $"failed: critical objective {string.Join(", ", failedCritical)} failed; {scoreText}{shortfalls}");
        }

        if (undecided > 0)
        {
            var missing = string.Join(", ", evidence.Where(e => e.Outcome == GateOutcome.Inconclusive).Select(e => e.Objective));
            var bestCase = 100.0 * (earned + undecided) / (weighed + undecided);
            return bestCase < gate.Score.Marginal
                ? new GateVerdict(GateOutcome.Fail, score, evidence, $"failed: {scoreText}; even if {missing} passed the score would be {Format(bestCase)}{shortfalls}")
                : new GateVerdict(GateOutcome.Inconclusive, score, evidence, $"inconclusive: no data for {missing}; {scoreText}");
        }

        var outcome = score >= gate.Score.Pass ? GateOutcome.Pass : score >= gate.Score.Marginal ? GateOutcome.Warning : GateOutcome.Fail;
        var word = outcome switch { GateOutcome.Pass => "passed", GateOutcome.Warning => "marginal", _ => "failed" };
        return new GateVerdict(outcome, score, evidence, $"{word}: {scoreText}{shortfalls}");
    }

    private static ObjectiveEvidence EvaluateObjective(GateDefinition gate, SliObjective objective, SliReading? reading)
    {
        var window = reading?.Window;
        var canary = reading?.For(SliPopulations.Canary);
        if (canary is null || canary.IsEmpty)
        {
            var why = reading is null ? "no reading" : reading.NoDataReason ?? "no canary series";
            return NoData(objective, window, $"no data for {SliPopulations.Canary} ({why})", 0, 0);
        }

        var canaryValues = canary.Samples.Select(s => s.Value).ToArray();
        var observed = SliAggregator.Aggregate(objective.Aggregation, canaryValues);

        double? referenceValue = null;
        string? referenceName = null;
        double[] referenceValues = [];
        SliWindow? referenceWindow = null;
        MannWhitneyResult? rankTest = null;
        string? rankTestNotRun = null;
        if (objective.NeedsReference)
        {
            referenceName = SliPopulations.Of(objective.CompareTo);
            var reference = reading!.For(referenceName);
            if (reference is null || reference.IsEmpty)
            {
                return NoData(objective, window, $"no data for {referenceName} to compare with", canaryValues.Length, 0);
            }

            referenceValues = reference.Samples.Select(s => s.Value).ToArray();
            referenceWindow = reference.Window ?? window;
            referenceValue = SliAggregator.Aggregate(objective.Aggregation, referenceValues);
            (rankTest, rankTestNotRun) = RankTest(gate, canaryValues, referenceValues, referenceName);
        }

        var passChecks = objective.Pass.Select(c => Check(gate, objective, c, observed, referenceValue, rankTest)).ToArray();
        var warningChecks = objective.Warning.Select(c => Check(gate, objective, c, observed, referenceValue, rankTest)).ToArray();
        GateOutcome outcome;
        IReadOnlyList<CriterionCheck> decisive;
        if (passChecks.All(c => c.Held))
        {
            (outcome, decisive) = (GateOutcome.Pass, passChecks);
        }
        else if (warningChecks.Length > 0 && warningChecks.All(c => c.Held))
        {
            (outcome, decisive) = (GateOutcome.Warning, passChecks);
        }
        else
        {
            (outcome, decisive) = (GateOutcome.Fail, warningChecks.Length > 0 ? warningChecks : passChecks);
        }

        var reason = Describe(objective, outcome, observed, referenceValue, referenceName, decisive, rankTest, canaryValues.Length, referenceValues.Length);
        return new ObjectiveEvidence(
            objective.Name, outcome, observed, referenceValue, referenceName, passChecks.Concat(warningChecks).ToArray(),
            rankTest?.PValue, rankTest?.ShiftEstimate, canaryValues.Length, referenceValues.Length, window, reason, referenceWindow)
        {
            Test = DescribeTest(gate, objective, passChecks, warningChecks, referenceValue, referenceName, rankTest, rankTestNotRun),
        };
    }

    private static ObjectiveEvidence NoData(SliObjective objective, SliWindow? window, string why, int canarySamples, int referenceSamples)
    {
        var outcome = objective.MustHaveData ? GateOutcome.Fail : GateOutcome.Inconclusive;
        var verdict = objective.MustHaveData ? "failed (data is required)" : "inconclusive";
        return new ObjectiveEvidence(objective.Name, outcome, null, null, null, [], null, null, canarySamples, referenceSamples, window, $"{objective.Name}: {why} — {verdict}")
        {
            Test = $"not compared: {why}",
        };
    }

    /// <summary>
    /// The rank test of the canary against the reference, or why it was not run. The evidence's test line is written from
    /// this answer, so a reference population the test does not suit needs only its reason here.
    /// </summary>
    private static (MannWhitneyResult? Result, string? NotRun) RankTest(GateDefinition gate, double[] canary, double[] reference, string referenceName)
    {
        if (referenceName == SliPopulations.PreviousRelease)
        {
            // Its values are aggregates of whole measurements, not samples of the same kind as the canary's.
            return (null, $"{SliPopulations.PreviousRelease} holds the aggregates it recorded, not samples");
        }

        var minimum = gate.MinimumSamplesForRankTest;
        return canary.Length < minimum || reference.Length < minimum
            ? (null, $"fewer than {minimum} samples ({SliPopulations.Canary} {canary.Length}, {referenceName} {reference.Length})")
            : (MannWhitneyU.Test(canary, reference), null);
    }

    /// <summary>The query as the objective's source was asked to run it, with the same parameters <see cref="SliObjective.ToQuery"/> gives it.</summary>
    private static ObjectiveQuery QueryOf(SliObjective objective, SliReading? reading, IReadOnlyDictionary<string, string>? parameters)
    {
        // Sorted, so the evidence reads the same in every record; a release fact wins over an objective parameter, as in ToQuery.
        var merged = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in objective.Parameters)
        {
            merged[name] = value;
        }

        foreach (var (name, value) in parameters ?? new Dictionary<string, string>())
        {
            merged[name] = value;
        }

        return new ObjectiveQuery(objective.Provider, reading?.Query ?? objective.Query, merged);
    }

    /// <summary>
    /// The comparisons the outcome came from, in one line: each absolute threshold and relative bound as compared (in the
    /// objective's unit), then the rank test's result against the significance level, or why the aggregates decided alone.
    /// </summary>
    private static string DescribeTest(
        GateDefinition gate, SliObjective objective, IReadOnlyList<CriterionCheck> passChecks, IReadOnlyList<CriterionCheck> warningChecks,
        double? reference, string? referenceName, MannWhitneyResult? rankTest, string? rankTestNotRun)
    {
        var aggregation = objective.Aggregation.ToString().ToLowerInvariant();
        var thresholds = new List<string>();
        var bounds = new List<string>();
        var compared = objective.Pass.Zip(passChecks, (c, k) => (Criterion: c, Check: k, Warning: false))
            .Concat(objective.Warning.Zip(warningChecks, (c, k) => (Criterion: c, Check: k, Warning: true)));
        foreach (var (criterion, check, warning) in compared)
        {
            var comparison = $"{(warning ? "warning " : "")}{aggregation} {SliCriterion.Symbol(criterion.Comparison)} {Exact(check.Threshold)}";
            if (criterion is RelativeCriterion)
            {
                bounds.Add($"{comparison} ({referenceName} {Exact(reference!.Value)} {criterion.Text.TrimStart('<', '>', '=', ' ')})");
            }
            else
            {
                thresholds.Add(comparison);
            }
        }

        var parts = new List<string>();
        if (thresholds.Count > 0)
        {
            parts.Add($"threshold: {string.Join(", ", thresholds)}");
        }

        if (bounds.Count > 0)
        {
            parts.Add($"relative: {string.Join(", ", bounds)}");
        }

        if (rankTest is not null)
        {
            var p = rankTest.PValue < 0.0001 ? "p<0.0001" : $"p={rankTest.PValue.ToString("0.####", CultureInfo.InvariantCulture)}";
            var relation = rankTest.PValue < gate.Significance ? "<" : ">=";
            var shift = (rankTest.ShiftEstimate >= 0 ? "+" : "-") + Exact(Math.Abs(rankTest.ShiftEstimate));
            parts.Add($"Mann–Whitney U two-sided vs {referenceName}: {p} {relation} α {Format(gate.Significance)} (shift {shift})");
        }
        else if (referenceName is not null)
        {
            // A reference without a rank test: the aggregates alone decided, for the reason RankTest gave.
            parts.Add($"aggregates only: {rankTestNotRun ?? $"not run against {referenceName}"}, no rank test");
        }

        return string.Join("; ", parts);
    }

    private static CriterionCheck Check(GateDefinition gate, SliObjective objective, SliCriterion criterion, double observed, double? reference, MannWhitneyResult? rankTest)
    {
        switch (criterion)
        {
            case AbsoluteCriterion absolute:
                var threshold = absolute.IsPercent && objective.Unit == SliUnit.Ratio ? absolute.Threshold / 100.0 : absolute.Threshold;
                return new CriterionCheck(criterion.Text, threshold, criterion.Holds(observed, threshold), null);
            case RelativeCriterion relative:
                var bound = relative.ThresholdFor(reference!.Value);
                if (criterion.Holds(observed, bound))
                {
                    return new CriterionCheck(criterion.Text, bound, true, null);
                }

                // The aggregates break the bound; it counts only if the rank test says the populations differ.
                if (rankTest is not null && rankTest.PValue >= gate.Significance)
                {
                    return new CriterionCheck(criterion.Text, bound, true,
                        $"outside {criterion.Text} but not significant (p={FormatP(rankTest.PValue)} >= {Format(gate.Significance)})");
                }

                return new CriterionCheck(criterion.Text, bound, false, null);
            default:
                throw new ArgumentOutOfRangeException(nameof(criterion), criterion, "Unknown criterion kind.");
        }
    }

    private static string Describe(
        SliObjective objective, GateOutcome outcome, double observed, double? reference, string? referenceName,
        IReadOnlyList<CriterionCheck> checks, MannWhitneyResult? rankTest, int canarySamples, int referenceSamples)
    {
        var word = outcome switch { GateOutcome.Pass => "passed", GateOutcome.Warning => "warning", _ => "failed" };
        var shown = checks.FirstOrDefault(c => !c.Held) ?? checks[0];
        var relation = observed < shown.Threshold ? "<" : observed > shown.Threshold ? ">" : "=";
        var criterion = objective.Pass.Concat(objective.Warning).First(c => c.Text == shown.Criterion);
        string comparison;
        if (criterion is RelativeCriterion && reference is not null)
        {
            var change = reference.Value == 0 ? (observed == 0 ? "+0%" : "n/a") : $"{(observed >= reference.Value ? "+" : "-")}{Format(Math.Abs(observed - reference.Value) / Math.Abs(reference.Value) * 100)}%";
            comparison = $"{Value(objective, observed)} vs {referenceName} {Value(objective, reference.Value)} ({change}) {relation} {shown.Criterion.TrimStart('<', '>', '=', ' ')}";
        }
        else
        {
            comparison = $"{Value(objective, observed)} {relation} {Value(objective, shown.Threshold)}";
        }

        var samples = referenceName is null
            ? $"{SliPopulations.Canary}, {canarySamples} samples"
            : $"{SliPopulations.Canary} {canarySamples} / {referenceName} {referenceSamples} samples";
        var p = rankTest is null ? string.Empty : $"p={FormatP(rankTest.PValue)}, ";
        var note = shown.Note is null ? string.Empty : $"; {shown.Note}";
        return $"{objective.Name} {comparison} ({p}{samples}) — {word}{note}";
    }

    private static string Value(SliObjective objective, double value) => objective.Unit switch
    {
        SliUnit.Ratio => Format(value * 100) + "%",
        SliUnit.Percent => Format(value) + "%",
        _ => Format(value),
    };

    private static string Format(double value) => Math.Round(value, 3).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A number for the test line: three decimals, or four significant digits below 1 (an error ratio's 0.000123 stays that).</summary>
    private static string Exact(double value)
    {
        var magnitude = Math.Abs(value);
        var decimals = magnitude is 0 or >= 1 ? 3 : Math.Min(15, 3 - (int)Math.Floor(Math.Log10(magnitude)));
        return Math.Round(value, decimals).ToString("0.###############", CultureInfo.InvariantCulture);
    }

    private static string FormatP(double p) => p < 0.0001 ? "<0.0001" : p.ToString("0.####", CultureInfo.InvariantCulture);
}
