using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Core.Ports;

/// <summary>One gate result as people see it.</summary>
public sealed record GateSummary(string Stage, int Step, string Outcome, string Reason);

/// <summary>
/// Where a release stands, for people: the PR's sticky status comment, the check run on the merge commit and the
/// deployment status of the environment all render from this.
/// </summary>
public sealed record ReleaseStatusUpdate(
    ReleaseId Release,
    string Service,
    string Version,
    ReleaseStatus Status,
    string? Stage,
    int Step,
    int StepCount,
    int? WeightPercent,
    IReadOnlyList<GateSummary> Gates,
    IReadOnlyList<string> ApprovedBy,
    string Summary,
    string NextStep,
    DateTimeOffset At,
    long? InstallationId);

/// <summary>Tells people how a release is going.</summary>
public interface IReleaseNotifier
{
    /// <param name="idempotencyKey">Stable for one update; a notifier asked twice publishes once where the channel allows it.</param>
    Task PublishAsync(ReleaseStatusUpdate update, string idempotencyKey, CancellationToken cancellationToken);
}
