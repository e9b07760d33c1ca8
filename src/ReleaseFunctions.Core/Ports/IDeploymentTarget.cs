namespace ReleaseFunctions.Core.Ports;

/// <summary>Where a stage deploys: a provider (for example "app-service", "container-apps", "http-hook", "sandbox") and its parameters.</summary>
public sealed record TargetSpec(string Provider, IReadOnlyDictionary<string, string> Parameters);

/// <summary>What a traffic change does.</summary>
public enum TrafficAction
{
    /// <summary>Send <see cref="TrafficShift.CandidateWeightPercent"/> percent of traffic to the candidate.</summary>
    Shift,
    /// <summary>Blue-green: make the idle slot (the candidate) live; the old one stays warm for instant rollback.</summary>
    Swap,
    /// <summary>Undo: all traffic back to the stable version (weight 0, or the swap reversed).</summary>
    Rollback,
    /// <summary>The candidate takes all traffic and becomes the stable version.</summary>
    Promote,
}

/// <summary>
/// One traffic change of a release. <see cref="IdempotencyKey"/> is stable across retries,
/// so a target that is asked twice applies the change once.
/// </summary>
public sealed record TrafficShift(
    TargetSpec Target,
    string ReleaseId,
    string Service,
    string CandidateVersion,
    string Stage,
    int Step,
    int CandidateWeightPercent,
    TrafficAction Action,
    string IdempotencyKey)
{
    public int CandidateWeightPercent { get; } = CandidateWeightPercent is >= 0 and <= 100
        ? CandidateWeightPercent
        : throw new ArgumentOutOfRangeException(nameof(CandidateWeightPercent), CandidateWeightPercent, "A traffic weight is a percentage from 0 to 100.");
}

/// <summary>The traffic split a target reports after reading it back.</summary>
public sealed record TrafficState(
    int CandidateWeightPercent,
    string? LiveSlot,
    DateTimeOffset ObservedAt,
    string Detail);

/// <summary>
/// Shifts traffic and reads it back, so a shift or rollback can be verified. The release workflow verifies every change
/// with a separate <see cref="ReadAsync"/> after <see cref="ApplyAsync"/>: what is recorded as verified is what was read,
/// never what was requested.
/// </summary>
public interface IDeploymentTarget
{
    string Provider { get; }

    /// <summary>Applies the shift and returns the state the target reported for it.</summary>
    Task<TrafficState> ApplyAsync(TrafficShift shift, CancellationToken cancellationToken);

    /// <summary>
    /// Reads the current traffic state of <paramref name="shift"/>'s target as it concerns the shift's release (how much
    /// traffic its candidate gets, whether the candidate is live after a swap), without changing anything. It fails when
    /// the target cannot say; it never answers with the requested state.
    /// </summary>
    Task<TrafficState> ReadAsync(TrafficShift shift, CancellationToken cancellationToken);
}
