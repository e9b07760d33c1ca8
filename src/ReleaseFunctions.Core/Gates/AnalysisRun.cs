namespace ReleaseFunctions.Core.Gates;

/// <summary>One interval of an analysis run: a verdict, or the error that kept the measurement from being taken.</summary>
public sealed record AnalysisMeasurement
{
    private AnalysisMeasurement(GateVerdict? verdict, string? error)
    {
        Verdict = verdict;
        Error = error;
    }

    public GateVerdict? Verdict { get; }

    /// <summary>Why no verdict could be taken (e.g. the SLI source was unavailable), or null.</summary>
    public string? Error { get; }

    public static AnalysisMeasurement Of(GateVerdict verdict) => new(verdict ?? throw new ArgumentNullException(nameof(verdict)), null);

    public static AnalysisMeasurement Failed(string error)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new AnalysisMeasurement(null, error);
    }
}

/// <summary>Where an analysis run stands.</summary>
public enum AnalysisStatus
{
    /// <summary>More measurements are needed.</summary>
    Running,
    Pass,
    Warning,
    Fail,
    Inconclusive,
}

/// <summary>The state of an analysis run after the measurements so far, with counts and a one-line reason.</summary>
/// <param name="WithoutData">Measurements that lacked data and were waited out (they do not count towards the run's count).</param>
public sealed record AnalysisRunResult(AnalysisStatus Status, int Measurements, int Passed, int Warnings, int Failed, int Inconclusive, int Errors, string Reason, int WithoutData = 0)
{
    public bool IsFinished => Status != AnalysisStatus.Running;
}

/// <summary>
/// Combines the measurements of an analysis run per its <see cref="AnalysisSettings"/>, stopping at the first
/// measurement that decides the run. A measurement that lacks data is waited out (up to
/// <see cref="AnalysisSettings.NoDataLimit"/> in a row) and does not count; past the limit it counts as what it is
/// (a failure when the data is required, else inconclusive). No data is never a pass.
/// </summary>
public static class AnalysisRun
{
    public static AnalysisRunResult Aggregate(AnalysisSettings settings, IReadOnlyList<AnalysisMeasurement> measurements)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(measurements);
        int passed = 0, warnings = 0, failed = 0, inconclusive = 0, errors = 0, consecutiveErrors = 0, taken = 0, withoutData = 0, consecutiveWithoutData = 0;
        AnalysisRunResult Result(AnalysisStatus status, string reason) => new(status, taken, passed, warnings, failed, inconclusive, errors, reason, withoutData);

        foreach (var measurement in measurements)
        {
            if (taken == settings.Count)
            {
                break;
            }

            if (measurement.Verdict is { LacksData: true })
            {
                if (++consecutiveWithoutData <= settings.NoDataLimit)
                {
                    withoutData++;
                    continue;
                }
            }
            else
            {
                consecutiveWithoutData = 0;
            }

            taken++;
            if (measurement.Verdict is null)
            {
                errors++;
                if (++consecutiveErrors > settings.ConsecutiveErrorLimit)
                {
                    return Result(AnalysisStatus.Fail, $"{consecutiveErrors} measurements in a row could not be taken (limit {settings.ConsecutiveErrorLimit}); last error: {measurement.Error}");
                }

                continue;
            }

            consecutiveErrors = 0;
            if (measurement.Verdict.FiringAlerts.Count > 0)
            {
                // A fired alert is someone's page: it decides the run whatever the limits allow for SLI failures.
                failed++;
                return Result(AnalysisStatus.Fail, $"measurement {taken} failed at once: {measurement.Verdict.Reason}");
            }

            switch (measurement.Verdict.Outcome)
            {
                case GateOutcome.Pass: passed++; break;
                case GateOutcome.Warning: warnings++; break;
                case GateOutcome.Fail:
                    if (++failed > settings.FailureLimit)
                    {
                        return Result(AnalysisStatus.Fail, $"measurement {taken} failed, {failed} failures exceed the limit of {settings.FailureLimit}: {measurement.Verdict.Reason}");
                    }

                    break;
                default:
                    if (++inconclusive > settings.InconclusiveLimit)
                    {
                        return Result(AnalysisStatus.Inconclusive, $"measurement {taken} was inconclusive, {inconclusive} inconclusive measurements exceed the limit of {settings.InconclusiveLimit}: {measurement.Verdict.Reason}");
                    }

                    break;
            }
        }

        if (taken < settings.Count)
        {
            return Result(AnalysisStatus.Running, consecutiveWithoutData is > 0 and var waited && waited <= settings.NoDataLimit
                ? $"{taken} of {settings.Count} measurements taken; the last had no data ({waited} in a row, {settings.NoDataLimit} waited out at most): measuring again"
                : $"{taken} of {settings.Count} measurements taken");
        }

        if (passed + warnings + failed == 0)
        {
            return Result(AnalysisStatus.Inconclusive, $"none of the {taken} measurements produced evidence");
        }

        return warnings > 0 || failed > 0 || inconclusive > 0 || errors > 0
            ? Result(AnalysisStatus.Warning, $"{settings.Count} measurements: {passed} passed, {warnings} marginal, {failed} failed, {inconclusive} inconclusive, {errors} errors (within limits)")
            : Result(AnalysisStatus.Pass, $"all {settings.Count} measurements passed");
    }
}
