using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.GitHub;

/// <summary>Writes every release status update to the log, whatever other channels are configured.</summary>
internal sealed partial class LoggingReleaseNotifier(ILogger<LoggingReleaseNotifier> logger) : IReleaseNotifier
{
    public Task PublishAsync(ReleaseStatusUpdate update, string idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.Status is ReleaseStatus.Failed or ReleaseStatus.RolledBack or ReleaseStatus.RollingBack)
        {
            ReleaseTroubled(logger, update.Release.InstanceId, update.Status, update.Stage, update.Step, update.StepCount, update.WeightPercent, update.Summary, update.NextStep);
        }
        else
        {
            ReleaseProgressed(logger, update.Release.InstanceId, update.Status, update.Stage, update.Step, update.StepCount, update.WeightPercent, update.Summary, update.NextStep);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information,
        Message = "Release {Release} is {Status} at stage {Stage} step {Step}/{StepCount} ({WeightPercent}% traffic): {Summary}; next: {NextStep}")]
    private static partial void ReleaseProgressed(ILogger logger, string release, ReleaseStatus status, string? stage, int step, int stepCount, int? weightPercent, string summary, string nextStep);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Warning,
        Message = "Release {Release} is {Status} at stage {Stage} step {Step}/{StepCount} ({WeightPercent}% traffic): {Summary}; next: {NextStep}")]
    private static partial void ReleaseTroubled(ILogger logger, string release, ReleaseStatus status, string? stage, int step, int stepCount, int? weightPercent, string summary, string nextStep);
}
