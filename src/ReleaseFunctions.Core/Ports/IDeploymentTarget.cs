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

/// <summary>Shifts traffic and reads back what it set, so a shift or rollback can be verified.</summary>
public interface IDeploymentTarget
{
    string Provider { get; }

    /// <summary>Applies the shift and returns the state read back afterwards.</summary>
    Task<TrafficState> ApplyAsync(TrafficShift shift, CancellationToken cancellationToken);

    /// <summary>Reads the current traffic state without changing it.</summary>
    Task<TrafficState> ReadAsync(TargetSpec target, string service, CancellationToken cancellationToken);
}
