using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Releases;

/// <summary>The release orchestration's custom status: where it stands, for the API and the dashboard.</summary>
public sealed record ReleaseProgress(
    ReleaseStatus Status,
    string? Stage,
    int Step,
    int StepCount,
    int? WeightPercent,
    string Summary,
    string NextStep,
    IReadOnlyList<GateSummary> Gates,
    IReadOnlyList<string> ApprovedBy,
    int Unrecorded = 0);
