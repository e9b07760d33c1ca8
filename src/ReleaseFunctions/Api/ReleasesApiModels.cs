using System.Text.Json;
using System.Text.Json.Serialization;
using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Dora;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Api;

/// <summary>A page of releases, newest first; pass <see cref="ContinuationToken"/> back for the next page (null on the last).</summary>
public sealed record ReleaseListResponse(IReadOnlyList<ReleaseRecord> Releases, string? ContinuationToken);

/// <summary>
/// One release: what the ledger recorded, where the engine says it stands (<see cref="Progress"/>, null before the
/// workflow reported any), its gate verdicts and approvals from the audit trail, whether that trail is intact, and its
/// post-release review once written (null before).
/// </summary>
public sealed record ReleaseDetailResponse(
    string InstanceId,
    ReleaseRecord? Release,
    string? RuntimeStatus,
    ReleaseProgress? Progress,
    IReadOnlyList<AuditEvent> GateVerdicts,
    IReadOnlyList<AuditEvent> Approvals,
    AuditVerification Audit,
    ReleaseReview? Review);

/// <summary>One audit record as the API shows it; <see cref="Evidence"/> is the recorded JSON.</summary>
public sealed record AuditEvent(long Sequence, DateTimeOffset At, string Actor, string Kind, string Reason, JsonElement Evidence, string Hash)
{
    public static AuditEvent From(AuditRecord record)
    {
        using var evidence = JsonDocument.Parse(record.EvidenceJson);
        return new AuditEvent(record.Sequence, record.At, record.Actor, record.Kind, record.Reason, evidence.RootElement.Clone(), record.Hash);
    }
}

public sealed record TimelineResponse(string InstanceId, IReadOnlyList<AuditEvent> Events, AuditVerification Audit);

/// <summary>The optional body of a command: why, for the audit trail.</summary>
public sealed record CommandRequest(string? Comment);

/// <summary>A command sent to a release.</summary>
public sealed record CommandAccepted(string InstanceId, ReleaseCommandKind Command, string Actor, DateTimeOffset IssuedAt, string? Comment);

/// <summary>DORA metrics per repository over [<see cref="From"/>, <see cref="To"/>).</summary>
public sealed record DoraResponse(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<DoraMetrics> Repositories);

/// <summary>Weekly DORA summaries, newest first.</summary>
public sealed record DoraSummariesResponse(IReadOnlyList<DoraMetrics> Summaries);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ReleaseListResponse))]
[JsonSerializable(typeof(ReleaseDetailResponse))]
[JsonSerializable(typeof(TimelineResponse))]
[JsonSerializable(typeof(CommandRequest))]
[JsonSerializable(typeof(CommandAccepted))]
[JsonSerializable(typeof(DoraResponse))]
[JsonSerializable(typeof(DoraSummariesResponse))]
[JsonSerializable(typeof(SignedInOperatorResponse))]
internal sealed partial class ReleasesApiJsonContext : JsonSerializerContext;
