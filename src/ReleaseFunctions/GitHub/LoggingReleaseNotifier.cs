using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.GitHub;

/// <summary>Writes every release status update to the log, whatever other channels are configured.</summary>
internal sealed partial class LoggingReleaseNotifier(ILogger<LoggingReleaseNotifier> logger) : IReleaseNotifier
{
    public Task PublishAsync(ReleaseStatusUpdate update, string idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.Status is ReleaseStatus.RollbackFailed)
        {
            RollbackFailed(logger, update.Release.InstanceId, Where(update), update.WeightPercent is { } read ? $"{read}%" : "an unreadable share", update.Summary, update.NextStep);
        }
        else if (update.Status is ReleaseStatus.Failed or ReleaseStatus.RolledBack or ReleaseStatus.RollingBack)
        {
            ReleaseTroubled(logger, update.Release.InstanceId, update.Status, Where(update), Traffic(update), update.Summary, update.NextStep);
        }
        else
        {
            ReleaseProgressed(logger, update.Release.InstanceId, update.Status, Where(update), Traffic(update), update.Summary, update.NextStep);
        }

        return Task.CompletedTask;
    }

    // A release stopped before its first stage has no stage and no weight: say so instead of leaving the fields empty.
    private static string Where(ReleaseStatusUpdate update)
        => update.Stage is null ? "before any stage" : update.Step > 0 ? $"at stage {update.Stage} step {update.Step}/{update.StepCount}" : $"at stage {update.Stage}";

    private static string Traffic(ReleaseStatusUpdate update)
        => update.WeightPercent is { } weight ? $"{weight}% of traffic on the candidate" : "no traffic moved";

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information,
        Message = "Release {Release} is {Status} {Where} ({Traffic}): {Summary}; next: {NextStep}")]
    private static partial void ReleaseProgressed(ILogger logger, string release, ReleaseStatus status, string where, string traffic, string summary, string nextStep);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Warning,
        Message = "Release {Release} is {Status} {Where} ({Traffic}): {Summary}; next: {NextStep}")]
    private static partial void ReleaseTroubled(ILogger logger, string release, ReleaseStatus status, string where, string traffic, string summary, string nextStep);

    /// <summary>The alert: the candidate may still take traffic, and only a person can move it back now.</summary>
    [LoggerMessage(EventId = 7103, Level = LogLevel.Critical,
        Message = "ROLLBACK FAILED for release {Release} {Where}: last read {Weight} of traffic on the candidate. {Summary}; {NextStep}")]
    private static partial void RollbackFailed(ILogger logger, string release, string where, string weight, string summary, string nextStep);
}
