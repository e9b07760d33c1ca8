using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Sli;
using static ReleaseFunctions.Core.Tests.Gates.GateTestData;

namespace ReleaseFunctions.Core.Tests.Gates;

public class GateEvaluatorTests
{
    private static GateVerdict Evaluate(GateDefinition gate, params (string Name, SliReading Reading)[] readings) =>
        GateEvaluator.Evaluate(gate, readings.ToDictionary(r => r.Name, r => r.Reading));

    [Fact]
    public void Absolute_criterion_met_passes_with_evidence()
    {
        var gate = new GateDefinition([Objective("error_rate", "< 1%", unit: SliUnit.Ratio)]);

        var verdict = Evaluate(gate, ("error_rate", Reading(Series(SliPopulations.Canary, 0.004, 0.006, 0.005))));

        Assert.Equal(GateOutcome.Pass, verdict.Outcome);
        Assert.Equal(100, verdict.Score);
        var evidence = Assert.Single(verdict.Objectives);
        Assert.Equal(0.005, evidence.Observed!.Value, 9);
        Assert.Equal(3, evidence.CanarySamples);
        Assert.Equal(Window, evidence.Window);
        Assert.Equal(0.01, Assert.Single(evidence.Checks).Threshold, 9);
        Assert.Equal("error_rate 0.5% < 1% (canary, 3 samples) — passed", evidence.Reason);
    }

    [Fact]
    public void Absolute_criterion_broken_fails_with_a_one_line_reason()
    {
        var gate = new GateDefinition([Objective("error_rate", "< 1%", unit: SliUnit.Ratio)]);

        var verdict = Evaluate(gate, ("error_rate", Reading(Series(SliPopulations.Canary, 0.02, 0.028, 0.024, 0.024))));

        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Equal("error_rate 2.4% > 1% (canary, 4 samples) — failed", verdict.Objectives[0].Reason);
        Assert.Equal("failed: score 0 (pass 90, marginal 75); error_rate 2.4% > 1% (canary, 4 samples) — failed", verdict.Reason);
    }

    [Fact]
    public void Percent_unit_takes_thresholds_as_written()
    {
        var gate = new GateDefinition([Objective("availability", ">= 99.5%", unit: SliUnit.Percent)]);

        var verdict = Evaluate(gate, ("availability", Reading(Series(SliPopulations.Canary, 99.9, 99.7))));

        Assert.Equal(GateOutcome.Pass, verdict.Outcome);
        Assert.Equal(99.5, verdict.Objectives[0].Checks[0].Threshold);
    }

    [Fact]
    public void Aggregation_decides_the_observed_value()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        var p99 = new GateDefinition([Objective("latency_ms", "<= 90", aggregation: SliAggregation.P99)]);
        var mean = new GateDefinition([Objective("latency_ms", "<= 90", aggregation: SliAggregation.Mean)]);

        var byP99 = Evaluate(p99, ("latency_ms", Reading(Series(SliPopulations.Canary, values))));
        var byMean = Evaluate(mean, ("latency_ms", Reading(Series(SliPopulations.Canary, values))));

        Assert.Equal(GateOutcome.Fail, byP99.Outcome);
        Assert.Equal(99.01, byP99.Objectives[0].Observed!.Value, 1e-9); // type 7: 99 + 0.01 × (100 − 99)
        Assert.Equal(GateOutcome.Pass, byMean.Outcome);
        Assert.Equal(50.5, byMean.Objectives[0].Observed!.Value, 1e-9);
    }

    [Fact]
    public void A_failed_critical_objective_fails_the_gate_whatever_the_score()
    {
        var gate = new GateDefinition([
            Objective("throughput", ">= 10", weight: 20),
            Objective("error_rate", "< 1%", unit: SliUnit.Ratio, critical: true),
        ]);

        var verdict = Evaluate(gate,
            ("throughput", Reading(Series(SliPopulations.Canary, 50, 60))),
            ("error_rate", Reading(Series(SliPopulations.Canary, 0.05))));

        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.True(verdict.Score > 90);
        Assert.Contains("critical objective error_rate failed", verdict.Reason);
    }

    [Theory]
    [InlineData(9, GateOutcome.Pass)]    // 9/10 = 90 → pass
    [InlineData(3, GateOutcome.Warning)] // 3/4 = 75 → marginal
    [InlineData(2, GateOutcome.Fail)]    // 2/3 = 66.7 → fail
    public void Weights_and_score_thresholds_decide(int passingWeight, GateOutcome expected)
    {
        var gate = new GateDefinition([
            Objective("good", "<= 1", weight: passingWeight),
            Objective("bad", "<= 1", weight: 1),
        ], new ScoreThresholds(90, 75));

        var verdict = Evaluate(gate,
            ("good", Reading(Series(SliPopulations.Canary, 0.5))),
            ("bad", Reading(Series(SliPopulations.Canary, 5))));

        Assert.Equal(expected, verdict.Outcome);
        Assert.Equal(100.0 * passingWeight / (passingWeight + 1), verdict.Score!.Value, 9);
    }

    [Fact]
    public void Warning_criteria_earn_half_the_weight()
    {
        var gate = new GateDefinition([Objective("latency_ms", "<= 300", warning: "<= 400")], new ScoreThresholds(90, 50));

        var verdict = Evaluate(gate, ("latency_ms", Reading(Series(SliPopulations.Canary, 350))));

        Assert.Equal(GateOutcome.Warning, verdict.Objectives[0].Outcome);
        Assert.Equal(50, verdict.Score);
        Assert.Equal(GateOutcome.Warning, verdict.Outcome);
        Assert.Equal("latency_ms 350 > 300 (canary, 1 samples) — warning", verdict.Objectives[0].Reason);
    }

    [Fact]
    public void Relative_criterion_fails_on_a_significant_regression_against_baseline()
    {
        var random = new Random(7);
        var baseline = Enumerable.Range(0, 30).Select(_ => 295 + random.NextDouble() * 10).ToArray();
        var canary = baseline.Select(v => v * 1.15).ToArray();
        var gate = new GateDefinition([Objective("p99_latency_ms", "<= +10%", aggregation: SliAggregation.Median)]);

        var verdict = Evaluate(gate, ("p99_latency_ms", Reading(Series(SliPopulations.Canary, canary), Series(SliPopulations.Baseline, baseline))));

        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        var evidence = verdict.Objectives[0];
        Assert.Equal(SliPopulations.Baseline, evidence.ReferencePopulation);
        Assert.True(evidence.PValue < 0.001);
        Assert.Equal(30, evidence.ReferenceSamples);
        Assert.InRange(evidence.ShiftEstimate!.Value, 40, 50);
        Assert.Contains("vs baseline", evidence.Reason);
        Assert.Contains("(+15%) > +10%", evidence.Reason);
        Assert.Contains("canary 30 / baseline 30 samples", evidence.Reason);
    }

    [Fact]
    public void Relative_breach_the_rank_test_cannot_tell_from_noise_is_within_tolerance()
    {
        var gate = new GateDefinition([Objective("latency_ms", "<= +10%")]);

        var verdict = Evaluate(gate, ("latency_ms", Reading(
            Series(SliPopulations.Canary, 150, 250, 350, 450, 600),
            Series(SliPopulations.Baseline, 100, 200, 300, 400, 500))));

        Assert.Equal(GateOutcome.Pass, verdict.Outcome);
        var check = Assert.Single(verdict.Objectives[0].Checks);
        Assert.True(check.Held);
        Assert.Contains("not significant", check.Note);
        Assert.Equal(330, check.Threshold, 9);
    }

    [Fact]
    public void Relative_criterion_within_the_band_passes()
    {
        var gate = new GateDefinition([Objective("latency_ms", "<= +10%")]);

        var verdict = Evaluate(gate, ("latency_ms", Reading(
            Series(SliPopulations.Canary, 104, 106, 105, 103, 107),
            Series(SliPopulations.Baseline, 100, 101, 99, 100, 100))));

        Assert.Equal(GateOutcome.Pass, verdict.Outcome);
        Assert.NotNull(verdict.Objectives[0].PValue);
    }

    [Fact]
    public void A_relative_lower_bound_catches_a_significant_drop()
    {
        var baseline = Enumerable.Range(0, 12).Select(i => 100.0 + i % 3).ToArray();
        var canary = baseline.Select(v => v * 0.8).ToArray();
        var gate = new GateDefinition([Objective("throughput_rps", ">= -5%")]);

        var verdict = Evaluate(gate, ("throughput_rps", Reading(Series(SliPopulations.Canary, canary), Series(SliPopulations.Baseline, baseline))));

        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Equal(95.95, verdict.Objectives[0].Checks[0].Threshold, 9); // mean 101 − 5%
        Assert.Contains("(-20%) < -5%", verdict.Objectives[0].Reason);
    }

    [Fact]
    public void Relative_criterion_can_compare_with_the_pre_release_window()
    {
        var gate = new GateDefinition([Objective("latency_ms", "<= +10%", compareTo: ReferencePopulation.PreRelease)]);

        var verdict = Evaluate(gate, ("latency_ms", Reading(
            Series(SliPopulations.Canary, 200),
            Series(SliPopulations.Baseline, 200),
            Series(SliPopulations.PreRelease, 100))));

        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Equal(SliPopulations.PreRelease, verdict.Objectives[0].ReferencePopulation);
        Assert.Null(verdict.Objectives[0].PValue); // too few samples for the rank test: aggregates decide
    }

    [Fact]
    public void The_evidence_names_the_window_the_reference_was_read_over()
    {
        var gate = new GateDefinition([Objective("latency_ms", "<= +10%", compareTo: ReferencePopulation.PreRelease)]);
        var before = Window.Preceding(Window.Start.AddMinutes(-1));

        var preRelease = Evaluate(gate, ("latency_ms", Reading(Series(SliPopulations.Canary, 100), Series(SliPopulations.PreRelease, 100) with { Window = before })));
        var baseline = Evaluate(new GateDefinition([Objective("latency_ms", "<= +10%")]), ("latency_ms", Reading(Series(SliPopulations.Canary, 100), Series(SliPopulations.Baseline, 100))));

        Assert.Equal(new SliWindow(Window.Start.AddMinutes(-11), Window.Start.AddMinutes(-1)), before);
        Assert.Equal(before, preRelease.Objectives[0].ReferenceWindow);
        Assert.Equal(Window, preRelease.Objectives[0].Window);
        Assert.Equal(Window, baseline.Objectives[0].ReferenceWindow); // the stable version beside the canary: the same window
    }

    [Fact]
    public void No_data_is_inconclusive_never_a_pass()
    {
        var gate = new GateDefinition([Objective("error_rate", "< 1%", unit: SliUnit.Ratio)]);

        var empty = Evaluate(gate, ("error_rate", SliReading.NoData("q", Window, "no requests in window")));
        var missing = GateEvaluator.Evaluate(gate, new Dictionary<string, SliReading>());

        Assert.Equal(GateOutcome.Inconclusive, empty.Outcome);
        Assert.Null(empty.Score);
        Assert.Equal("error_rate: no data for canary (no requests in window) — inconclusive", empty.Objectives[0].Reason);
        Assert.Equal(GateOutcome.Inconclusive, missing.Outcome);
    }

    [Fact]
    public void Must_have_data_turns_no_data_into_a_failure()
    {
        var gate = new GateDefinition([Objective("error_rate", "< 1%", unit: SliUnit.Ratio, mustHaveData: true)]);

        var verdict = Evaluate(gate, ("error_rate", SliReading.Of("q", Window, [Series(SliPopulations.Baseline, 0.001)])));

        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Contains("failed (data is required)", verdict.Objectives[0].Reason);
    }

    [Fact]
    public void Missing_reference_population_is_inconclusive()
    {
        var gate = new GateDefinition([Objective("latency_ms", "<= +10%")]);

        var verdict = Evaluate(gate, ("latency_ms", Reading(Series(SliPopulations.Canary, 100, 101))));

        Assert.Equal(GateOutcome.Inconclusive, verdict.Outcome);
        Assert.Contains("no data for baseline", verdict.Objectives[0].Reason);
    }

    [Fact]
    public void Missing_data_with_passing_rest_is_inconclusive_but_a_certain_failure_fails()
    {
        var gate = new GateDefinition([Objective("a", "<= 1"), Objective("b", "<= 1"), Objective("c", "<= 1")]);

        var oneMissing = Evaluate(gate, ("a", Reading(Series(SliPopulations.Canary, 0))), ("b", Reading(Series(SliPopulations.Canary, 0))));
        var bestCaseFails = Evaluate(gate, ("a", Reading(Series(SliPopulations.Canary, 5))), ("b", Reading(Series(SliPopulations.Canary, 5))));

        Assert.Equal(GateOutcome.Inconclusive, oneMissing.Outcome);
        Assert.Contains("no data for c", oneMissing.Reason);
        Assert.Equal(GateOutcome.Fail, bestCaseFails.Outcome);
        Assert.Contains("even if c passed", bestCaseFails.Reason);
    }

    [Theory]
    [InlineData("< 1%", typeof(AbsoluteCriterion), "< 1%")]
    [InlineData("<=300", typeof(AbsoluteCriterion), "<= 300")]
    [InlineData(" <= +10% ", typeof(RelativeCriterion), "<= +10%")]
    [InlineData(">= -5.5%", typeof(RelativeCriterion), ">= -5.5%")]
    public void Criteria_parse(string text, Type kind, string normalised)
    {
        var criterion = SliCriterion.TryParse(text, out var error);

        Assert.Null(error);
        Assert.IsType(kind, criterion);
        Assert.Equal(normalised, criterion!.Text);
    }

    [Theory]
    [InlineData("fifty", "expected a criterion such as")]
    [InlineData("<= +10", "needs a '%'")]
    [InlineData("== 3", "expected a criterion such as")]
    public void Bad_criteria_say_what_was_expected(string text, string expected)
    {
        Assert.Null(SliCriterion.TryParse(text, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void An_objective_becomes_the_query_its_source_runs()
    {
        var objective = Objective("latency_ms", "<= 300", aggregation: SliAggregation.P99);
        var parameters = new Dictionary<string, string> { ["service"] = "shop", ["version"] = "1.2.3" };

        var query = objective.ToQuery(Window, parameters, TimeSpan.FromMinutes(1));

        Assert.Equal(("sandbox", "latency_ms-query", Window, "p99", (string?)null, (TimeSpan?)TimeSpan.FromMinutes(1)),
            (query.Provider, query.Query, query.Window, query.Aggregation, query.ExpectedUnit, query.Step));
        Assert.Equal(parameters, query.Parameters);
    }

    [Theory]
    [InlineData("< 1%", null, SliUnit.Ratio, "threshold: mean < 0.01")]
    [InlineData("<= 300", "<= 400", SliUnit.Number, "threshold: mean <= 300, warning mean <= 400")]
    [InlineData(">= 99.5%", null, SliUnit.Percent, "threshold: mean >= 99.5")]
    public void The_test_of_an_absolute_objective_names_the_thresholds_compared_with(string pass, string? warning, SliUnit unit, string expected)
    {
        var gate = new GateDefinition([Objective("sli", pass, warning, unit: unit)]);

        var verdict = Evaluate(gate, ("sli", Reading(Series(SliPopulations.Canary, 0.004, 0.006))));

        Assert.Equal(expected, verdict.Objectives[0].Test);
    }

    [Fact]
    public void The_test_of_a_significant_regression_gives_the_p_value_below_the_significance_level_and_the_shift()
    {
        var gate = new GateDefinition([Objective("error_rate", "<= +10%", unit: SliUnit.Ratio)]);

        var verdict = Evaluate(gate, ("error_rate", Reading(
            Series(SliPopulations.Canary, 0.012, 0.013, 0.011, 0.014, 0.012, 0.013),
            Series(SliPopulations.Baseline, 0.010, 0.011, 0.009, 0.010, 0.012, 0.010))));

        // U = 33.5 of 36 pairs; p = 0.01448 (scipy's asymptotic mannwhitneyu); Hodges–Lehmann shift 0.002; mean 0.01033 + 10%.
        Assert.Equal(GateOutcome.Fail, verdict.Outcome);
        Assert.Equal("relative: mean <= 0.01137 (baseline 0.01033 +10%); Mann–Whitney U two-sided vs baseline: p=0.0145 < α 0.05 (shift +0.002)", verdict.Objectives[0].Test);
    }

    [Fact]
    public void The_test_of_a_breach_within_noise_gives_the_p_value_at_or_above_the_significance_level()
    {
        var gate = new GateDefinition([Objective("latency_ms", "<= 300,<= +10%", warning: "<= 400")]);

        var verdict = Evaluate(gate, ("latency_ms", Reading(
            Series(SliPopulations.Canary, 150, 250, 350, 450, 600),
            Series(SliPopulations.Baseline, 100, 200, 300, 400, 500))));

        // U = 15 of 25, z = 0.418, p = 0.6761; every pairwise difference's median is 50.
        Assert.Equal(GateOutcome.Warning, verdict.Objectives[0].Outcome);
        Assert.Equal(
            "threshold: mean <= 300, warning mean <= 400; relative: mean <= 330 (baseline 300 +10%); Mann–Whitney U two-sided vs baseline: p=0.6761 >= α 0.05 (shift +50)",
            verdict.Objectives[0].Test);
    }

    [Fact]
    public void The_test_names_the_reference_population_the_rank_test_ran_against()
    {
        var gate = new GateDefinition([Objective("latency_ms", "<= +10%", compareTo: ReferencePopulation.PreRelease)]);

        var verdict = Evaluate(gate, ("latency_ms", Reading(
            Series(SliPopulations.Canary, 150, 250, 350, 450, 600),
            Series(SliPopulations.Baseline, 1, 1, 1, 1, 1),
            Series(SliPopulations.PreRelease, 100, 200, 300, 400, 500))));

        Assert.Equal("relative: mean <= 330 (pre-release 300 +10%); Mann–Whitney U two-sided vs pre-release: p=0.6761 >= α 0.05 (shift +50)", verdict.Objectives[0].Test);
    }

    [Fact]
    public void The_test_gives_a_p_value_too_small_to_print_as_a_bound()
    {
        var baseline = Enumerable.Range(0, 12).Select(i => 100.0 + i).ToArray();
        var gate = new GateDefinition([Objective("latency_ms", "<= +10%")]);

        var verdict = Evaluate(gate, ("latency_ms", Reading(Series(SliPopulations.Canary, baseline.Select(v => v + 100).ToArray()), Series(SliPopulations.Baseline, baseline))));

        // Every canary value above every baseline value: U = 144 of 144, z = 4.13, p = 3.7e-5.
        Assert.Equal("relative: mean <= 116.05 (baseline 105.5 +10%); Mann–Whitney U two-sided vs baseline: p<0.0001 < α 0.05 (shift +100)", verdict.Objectives[0].Test);
    }

    [Fact]
    public void The_test_says_the_aggregates_decided_alone_and_why_when_the_rank_test_did_not_run()
    {
        var gate = new GateDefinition([Objective("latency_ms", "<= +10%")]);
        var strict = new GateDefinition([Objective("latency_ms", "<= +10%")], minimumSamplesForRankTest: 20);
        var reading = Reading(Series(SliPopulations.Canary, 100, 101, 102), Series(SliPopulations.Baseline, Enumerable.Repeat(100.0, 12).ToArray()));
        var both = Reading(
            Series(SliPopulations.Canary, 150, 250, 350, 450, 600),
            Series(SliPopulations.Baseline, 100, 200, 300, 400, 500));

        var fewCanary = Evaluate(gate, ("latency_ms", reading));
        var belowTheGatesMinimum = Evaluate(strict, ("latency_ms", both));

        Assert.Null(fewCanary.Objectives[0].PValue);
        Assert.Equal("relative: mean <= 110 (baseline 100 +10%); aggregates only: fewer than 5 samples (canary 3, baseline 12), no rank test", fewCanary.Objectives[0].Test);
        Assert.Equal("relative: mean <= 330 (baseline 300 +10%); aggregates only: fewer than 20 samples (canary 5, baseline 5), no rank test", belowTheGatesMinimum.Objectives[0].Test);
    }

    [Fact]
    public void The_test_of_an_objective_without_data_says_nothing_was_compared_and_why()
    {
        var absolute = new GateDefinition([Objective("error_rate", "< 1%", unit: SliUnit.Ratio)]);
        var relative = new GateDefinition([Objective("latency_ms", "<= +10%")]);

        var empty = Evaluate(absolute, ("error_rate", SliReading.NoData("q", Window, "no requests in window")));
        var missing = GateEvaluator.Evaluate(absolute, new Dictionary<string, SliReading>());
        var noReference = Evaluate(relative, ("latency_ms", Reading(Series(SliPopulations.Canary, 100, 101))));

        Assert.Equal("not compared: no data for canary (no requests in window)", empty.Objectives[0].Test);
        Assert.Equal("not compared: no data for canary (no reading)", missing.Objectives[0].Test);
        Assert.Equal("not compared: no data for baseline to compare with", noReference.Objectives[0].Test);
    }

    [Fact]
    public void The_evidence_keeps_the_query_that_ran_with_the_release_facts_and_the_objectives_own_parameters()
    {
        var objective = new SliObjective("failed_requests", "azure-monitor-metrics", "requests/failed", SliAggregation.Sum, SliUnit.Number, [Criterion("<= 10")], [],
            parameters: new Dictionary<string, string> { ["resource_id"] = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/shop", ["service"] = "not-this-one" });
        var gate = new GateDefinition([objective]);
        var release = new Dictionary<string, string> { ["service"] = "shop", ["version"] = "1.2.3", ["stage"] = "production" };

        var measured = GateEvaluator.Evaluate(gate, new Dictionary<string, SliReading> { ["failed_requests"] = SliReading.Of("requests/failed", Window, [Series(SliPopulations.Canary, 2, 3)]) }, release);
        var unread = GateEvaluator.Evaluate(gate, new Dictionary<string, SliReading>());

        var query = measured.Objectives[0].Query!;
        Assert.Equal(("azure-monitor-metrics", "requests/failed"), (query.Provider, query.Template));
        // As the source got them (a release fact wins over an objective parameter of the same name), in name order.
        Assert.Equal(["resource_id", "service", "stage", "version"], query.Parameters.Keys);
        Assert.Equal("shop", query.Parameters["service"]);
        Assert.Equal(objective.ToQuery(Window, release).Parameters.OrderBy(p => p.Key, StringComparer.Ordinal), query.Parameters);
        // No reading: the query that was to run, with what the evaluator was given.
        Assert.Equal("requests/failed", unread.Objectives[0].Query!.Template);
        Assert.Equal("not-this-one", unread.Objectives[0].Query!.Parameters["service"]);
    }

    [Fact]
    public void The_query_and_the_test_go_into_the_audit_evidence_by_their_json_names()
    {
        var gate = new GateDefinition([Objective("error_rate", "< 1%", unit: SliUnit.Ratio)]);
        var verdict = GateEvaluator.Evaluate(gate, new Dictionary<string, SliReading> { ["error_rate"] = Reading(Series(SliPopulations.Canary, 0.004)) },
            new Dictionary<string, string> { ["service"] = "shop" });

        var json = System.Text.Json.JsonSerializer.Serialize(verdict, ReleaseFunctions.Core.Audit.CoreJsonContext.Default.GateVerdict);
        var back = System.Text.Json.JsonSerializer.Deserialize(json, ReleaseFunctions.Core.Audit.CoreJsonContext.Default.GateVerdict)!;

        Assert.Contains("\"query\":{\"provider\":\"sandbox\",\"template\":\"query\",\"parameters\":{\"service\":\"shop\"}}", json, StringComparison.Ordinal);
        Assert.Contains("\"test\":\"threshold: mean \\u003C 0.01\"", json, StringComparison.Ordinal);
        Assert.Equal("threshold: mean < 0.01", back.Objectives[0].Test);
        Assert.Equal("shop", back.Objectives[0].Query!.Parameters["service"]);
    }

    [Fact]
    public void Objective_refuses_a_percentage_on_a_plain_number()
    {
        var error = Assert.Throws<ArgumentException>(() => Objective("latency_ms", "< 5%"));
        Assert.Contains("needs unit 'ratio' or 'percent'", error.Message);
    }
}
