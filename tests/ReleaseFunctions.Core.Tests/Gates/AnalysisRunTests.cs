using ReleaseFunctions.Core.Gates;

namespace ReleaseFunctions.Core.Tests.Gates;

public class AnalysisRunTests
{
    private static AnalysisMeasurement M(GateOutcome outcome) => AnalysisMeasurement.Of(new GateVerdict(outcome, null, [], outcome.ToString()));

    private static readonly AnalysisSettings Settings = new(TimeSpan.FromMinutes(1), count: 4, failureLimit: 1, inconclusiveLimit: 1, consecutiveErrorLimit: 1);

    /// <summary>A verdict where the objective had no data: a failure when the data is required, else inconclusive.</summary>
    private static AnalysisMeasurement NoData(bool required) => AnalysisMeasurement.Of(new GateVerdict(
        required ? GateOutcome.Fail : GateOutcome.Inconclusive, null,
        [new ObjectiveEvidence("error_rate", required ? GateOutcome.Fail : GateOutcome.Inconclusive, null, null, null, [], null, null, 0, 0, null, "error_rate: no data for canary")],
        "no data"));

    [Fact]
    public void A_measurement_without_data_is_waited_out_and_does_not_count()
    {
        var settings = new AnalysisSettings(TimeSpan.FromMinutes(1), count: 2, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 1, noDataLimit: 2);

        var waiting = AnalysisRun.Aggregate(settings, [NoData(required: true), NoData(required: true)]);
        Assert.Equal(AnalysisStatus.Running, waiting.Status);
        Assert.Equal(2, waiting.WithoutData);
        Assert.Contains("the last had no data (2 in a row", waiting.Reason);

        var passed = AnalysisRun.Aggregate(settings, [NoData(required: true), NoData(required: true), M(GateOutcome.Pass), M(GateOutcome.Pass)]);
        Assert.Equal(AnalysisStatus.Pass, passed.Status);
        Assert.Equal(2, passed.Measurements);
    }

    [Theory]
    [InlineData(true, AnalysisStatus.Fail)]
    [InlineData(false, AnalysisStatus.Inconclusive)]
    public void Past_the_no_data_limit_the_missing_data_counts_and_is_never_a_pass(bool required, AnalysisStatus expected)
    {
        var settings = new AnalysisSettings(TimeSpan.FromMinutes(1), count: 2, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 1, noDataLimit: 2);

        var result = AnalysisRun.Aggregate(settings, [NoData(required), NoData(required), NoData(required)]);

        Assert.Equal(expected, result.Status);
        Assert.Equal(1, result.Measurements);
    }

    [Fact]
    public void A_failing_objective_with_data_is_not_waited_out_because_another_lacks_data()
    {
        var verdict = new GateVerdict(GateOutcome.Fail, 0, [
            new ObjectiveEvidence("error_rate", GateOutcome.Fail, 0.3, null, null, [], null, null, 10, 0, null, "error_rate 30% > 1%"),
            new ObjectiveEvidence("latency", GateOutcome.Inconclusive, null, null, null, [], null, null, 0, 0, null, "latency: no data"),
        ], "failed");

        Assert.False(verdict.LacksData);
        Assert.Equal(AnalysisStatus.Fail, AnalysisRun.Aggregate(Settings, [AnalysisMeasurement.Of(verdict), AnalysisMeasurement.Of(verdict)]).Status);
    }

    [Fact]
    public void Runs_until_count_then_passes()
    {
        Assert.Equal(AnalysisStatus.Running, AnalysisRun.Aggregate(Settings, [M(GateOutcome.Pass), M(GateOutcome.Pass)]).Status);
        var done = AnalysisRun.Aggregate(Settings, [M(GateOutcome.Pass), M(GateOutcome.Pass), M(GateOutcome.Pass), M(GateOutcome.Pass)]);
        Assert.Equal(AnalysisStatus.Pass, done.Status);
        Assert.Equal(4, done.Passed);
    }

    [Fact]
    public void Stops_early_with_fail_when_the_failure_limit_is_exceeded()
    {
        var result = AnalysisRun.Aggregate(Settings, [M(GateOutcome.Fail), M(GateOutcome.Pass), M(GateOutcome.Fail)]);

        Assert.Equal(AnalysisStatus.Fail, result.Status);
        Assert.Equal(3, result.Measurements);
        Assert.Contains("2 failures exceed the limit of 1", result.Reason);
    }

    [Fact]
    public void Failures_within_the_limit_end_as_warning()
    {
        var result = AnalysisRun.Aggregate(Settings, [M(GateOutcome.Fail), M(GateOutcome.Pass), M(GateOutcome.Pass), M(GateOutcome.Pass)]);

        Assert.Equal(AnalysisStatus.Warning, result.Status);
    }

    [Fact]
    public void Becomes_inconclusive_when_the_inconclusive_limit_is_exceeded()
    {
        var result = AnalysisRun.Aggregate(Settings, [M(GateOutcome.Inconclusive), M(GateOutcome.Inconclusive)]);

        Assert.Equal(AnalysisStatus.Inconclusive, result.Status);
        Assert.Contains("exceed the limit of 1", result.Reason);
    }

    [Fact]
    public void Fails_after_too_many_errors_in_a_row_but_not_scattered_ones()
    {
        var inARow = AnalysisRun.Aggregate(Settings, [M(GateOutcome.Pass), AnalysisMeasurement.Failed("timeout"), AnalysisMeasurement.Failed("503")]);
        var scattered = AnalysisRun.Aggregate(Settings, [AnalysisMeasurement.Failed("timeout"), M(GateOutcome.Pass), AnalysisMeasurement.Failed("503"), M(GateOutcome.Pass)]);

        Assert.Equal(AnalysisStatus.Fail, inARow.Status);
        Assert.Contains("last error: 503", inARow.Reason);
        Assert.Equal(AnalysisStatus.Warning, scattered.Status);
    }

    [Fact]
    public void Only_errors_and_inconclusive_within_limits_is_inconclusive()
    {
        var settings = new AnalysisSettings(TimeSpan.FromMinutes(1), 2, 0, 5, 5);
        var result = AnalysisRun.Aggregate(settings, [AnalysisMeasurement.Failed("x"), M(GateOutcome.Inconclusive)]);

        Assert.Equal(AnalysisStatus.Inconclusive, result.Status);
    }
}
