using ReleaseFunctions.Core.Gates;

namespace ReleaseFunctions.Core.Tests.Gates;

public class AnalysisRunTests
{
    private static AnalysisMeasurement M(GateOutcome outcome) => AnalysisMeasurement.Of(new GateVerdict(outcome, null, [], outcome.ToString()));

    private static readonly AnalysisSettings Settings = new(TimeSpan.FromMinutes(1), count: 4, failureLimit: 1, inconclusiveLimit: 1, consecutiveErrorLimit: 1);

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
